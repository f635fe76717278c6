namespace Trawl.Http;

/// <summary>
/// A response's validators, its <c>ETag</c> and <c>Last-Modified</c> as the server sent them: a later request sends them
/// back (<see cref="Request.Conditional"/>) so that an unchanged page is answered <c>304 Not Modified</c> without a body.
/// </summary>
/// <param name="ETag">The <c>ETag</c> header, or <see langword="null"/>.</param>
/// <param name="LastModified">The <c>Last-Modified</c> header, or <see langword="null"/>.</param>
internal readonly record struct PageValidators(string? ETag, string? LastModified)
{
    /// <summary>Whether the response had neither validator, so nothing can be asked conditionally.</summary>
    public bool IsEmpty => ETag is null && LastModified is null;

    /// <summary>The validators of a response's headers.</summary>
    public static PageValidators From(IReadOnlyDictionary<string, IReadOnlyList<string>> headers) =>
        new(First(headers, "ETag"), First(headers, "Last-Modified"));

    /// <summary>
    /// The validators to keep after a <c>304</c>: the ones it sends (RFC 9110 §15.4.5 lets it send updated ones), else
    /// those the request was made with.
    /// </summary>
    public PageValidators RenewedBy(IReadOnlyDictionary<string, IReadOnlyList<string>> notModifiedHeaders)
    {
        var sent = From(notModifiedHeaders);
        return new(sent.ETag ?? ETag, sent.LastModified ?? LastModified);
    }

    private static string? First(IReadOnlyDictionary<string, IReadOnlyList<string>> headers, string name) =>
        headers.TryGetValue(name, out var values) && values.Count > 0 && values[0].Length > 0 ? values[0] : null;
}
