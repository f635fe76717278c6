using System.Globalization;

namespace Trawl.Http;

/// <summary>HTTP dates (RFC 9110 §5.6.7): <c>Sun, 06 Nov 1994 08:49:37 GMT</c>, and the obsolete forms servers still send.</summary>
internal static class HttpDates
{
    private static readonly string[] ObsoleteFormats =
    [
        "dddd, dd-MMM-yy HH:mm:ss 'GMT'", // RFC 850
        "ddd MMM d HH:mm:ss yyyy", // asctime
        "ddd MMM dd HH:mm:ss yyyy",
    ];

    /// <summary>Reads an HTTP date, in UTC; <see langword="false"/> when <paramref name="value"/> is not one.</summary>
    public static bool TryParse(string? value, out DateTimeOffset date)
    {
        const DateTimeStyles Styles = DateTimeStyles.AssumeUniversal | DateTimeStyles.AdjustToUniversal | DateTimeStyles.AllowWhiteSpaces;
        var text = value?.Trim();
        if (string.IsNullOrEmpty(text))
        {
            date = default;
            return false;
        }

        return DateTimeOffset.TryParseExact(text, "r", CultureInfo.InvariantCulture, Styles, out date)
            || DateTimeOffset.TryParseExact(text, ObsoleteFormats, CultureInfo.InvariantCulture, Styles, out date)
            || DateTimeOffset.TryParse(text, CultureInfo.InvariantCulture, Styles, out date);
    }

    /// <summary>Writes an HTTP date: <c>Sun, 06 Nov 1994 08:49:37 GMT</c>.</summary>
    public static string Format(DateTimeOffset date) => date.ToUniversalTime().ToString("r", CultureInfo.InvariantCulture);
}
