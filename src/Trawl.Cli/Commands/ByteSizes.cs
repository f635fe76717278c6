using System.Globalization;

namespace Trawl.Cli.Commands;

/// <summary>Sizes on the command line: bytes (<c>1048576</c>), or a number with a binary unit: <c>512K</c>, <c>32M</c>, <c>1G</c> (also <c>KB</c>, <c>KiB</c> and the like, any case).</summary>
internal static class ByteSizes
{
    public static bool TryParse(string text, out long bytes)
    {
        bytes = 0;
        var value = text.Trim();
        var digits = 0;
        while (digits < value.Length && (char.IsAsciiDigit(value[digits]) || value[digits] == '.'))
        {
            digits++;
        }

        if (digits == 0 || !double.TryParse(value.AsSpan(0, digits), NumberStyles.AllowDecimalPoint, CultureInfo.InvariantCulture, out var number))
        {
            return false;
        }

        var unit = value[digits..].Trim().ToUpperInvariant();
        double? scale = unit switch
        {
            "" or "B" => 1,
            "K" or "KB" or "KIB" => 1L << 10,
            "M" or "MB" or "MIB" => 1L << 20,
            "G" or "GB" or "GIB" => 1L << 30,
            _ => null,
        };
        if (scale is null || number * scale > long.MaxValue / 2)
        {
            return false;
        }

        bytes = (long)Math.Round(number * scale.Value);
        return true;
    }
}
