using System.Collections.Frozen;
using System.Text;

namespace Trawl.Sandbox.Site;

/// <summary>The legacy-encoded pages of <c>/trap/charset/{name}</c>: a sample text per charset, and its encoding.</summary>
internal static class CharsetSamples
{
    private static readonly FrozenDictionary<string, string> Samples = new Dictionary<string, string>(StringComparer.OrdinalIgnoreCase)
    {
        ["utf-8"] = "Grüße aus Köln — naïve café, 日本語, Ωμέγα ✓",
        ["windows-1252"] = "Café “curly quotes” – €5, naïve façade, ‰ Œuvre",
        ["iso-8859-1"] = "Crème brûlée, façade, Ångström, ½ ÷ ¿ ß ÿ",
        ["shift_jis"] = "日本語のページです。カタカナとひらがな、漢字。",
        ["euc-jp"] = "東京の天気は晴れです。ありがとう。",
        ["gb2312"] = "中文网页的编码测试。你好，世界！",
        ["big5"] = "繁體中文編碼測試。你好，世界！",
        ["euc-kr"] = "한국어 인코딩 시험입니다. 안녕하세요!",
        ["koi8-r"] = "Съешь же ещё этих мягких французских булок.",
    }.ToFrozenDictionary(StringComparer.OrdinalIgnoreCase);

    static CharsetSamples() => Encoding.RegisterProvider(CodePagesEncodingProvider.Instance);

    /// <summary>The supported charset names, lower case, as they are declared.</summary>
    public static IReadOnlyList<string> Names { get; } = [.. Samples.Keys.Order(StringComparer.Ordinal)];

    public static bool TryGet(string name, out string canonicalName, out string text, out Encoding encoding)
    {
        if (Samples.TryGetValue(name, out var sample))
        {
            canonicalName = Names.First(n => string.Equals(n, name, StringComparison.OrdinalIgnoreCase));
            text = sample;
            encoding = Encoding.GetEncoding(canonicalName, EncoderFallback.ExceptionFallback, DecoderFallback.ExceptionFallback);
            return true;
        }

        canonicalName = text = string.Empty;
        encoding = Encoding.UTF8;
        return false;
    }
}
