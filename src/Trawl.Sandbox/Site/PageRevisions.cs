using System.Collections.Concurrent;
using System.Globalization;
using System.Text;
using Microsoft.AspNetCore.Http;
using Microsoft.Net.Http.Headers;

namespace Trawl.Sandbox.Site;

/// <summary>
/// Which pages of the site changed since the server started (<see cref="SandboxServer.ChangePage"/>), and the validators
/// that go with each page's revision: an <c>ETag</c> of <c>"r{revision}"</c> and a <c>Last-Modified</c> a day later per
/// revision, from 2026-01-01. A changed page's <c>h1</c> ends with <c> (revision N)</c>, so what is scraped from it changes.
/// </summary>
internal sealed class PageRevisions
{
    /// <summary>The <c>Last-Modified</c> of every page not changed.</summary>
    public static readonly DateTimeOffset BaseLastModified = new(2026, 1, 1, 0, 0, 0, TimeSpan.Zero);

    private static readonly byte[] HeadingEnd = "</h1>"u8.ToArray();

    private readonly ConcurrentDictionary<string, int> _revisions = new(StringComparer.Ordinal);
    private long _notModified;

    /// <summary>How many requests were answered <c>304 Not Modified</c>.</summary>
    public long NotModifiedCount => Interlocked.Read(ref _notModified);

    /// <summary>Counts a <c>304</c> answered.</summary>
    public void AnsweredNotModified() => Interlocked.Increment(ref _notModified);

    /// <summary>Makes the page at <paramref name="path"/> one revision newer; returns its revision.</summary>
    public int Change(string path) => _revisions.AddOrUpdate(path, 1, static (_, revision) => revision + 1);

    /// <summary>The page's revision: 0 until it is changed.</summary>
    public int Revision(string path) => _revisions.GetValueOrDefault(path);

    /// <summary>The <c>ETag</c> of a revision.</summary>
    public static string ETag(int revision) => string.Create(CultureInfo.InvariantCulture, $"\"r{revision}\"");

    /// <summary>The <c>Last-Modified</c> time of a revision.</summary>
    public static DateTimeOffset LastModified(int revision) => BaseLastModified.AddDays(revision);

    /// <summary>
    /// Whether a request's conditions say the client has this revision: <c>If-None-Match</c> when it is sent (RFC 9110
    /// §13.2.2), otherwise <c>If-Modified-Since</c>.
    /// </summary>
    public static bool IsNotModified(HttpRequest request, int revision)
    {
        var ifNoneMatch = request.Headers.IfNoneMatch;
        if (ifNoneMatch.Count > 0)
        {
            var etag = ETag(revision);
            foreach (var value in ifNoneMatch)
            {
                foreach (var token in (value ?? string.Empty).Split(',', StringSplitOptions.TrimEntries | StringSplitOptions.RemoveEmptyEntries))
                {
                    if (token == "*" || string.Equals(token.StartsWith("W/", StringComparison.Ordinal) ? token[2..] : token, etag, StringComparison.Ordinal))
                    {
                        return true;
                    }
                }
            }

            return false;
        }

        return HeaderUtilities.TryParseDate(request.Headers.IfModifiedSince.ToString(), out var since) && since >= LastModified(revision);
    }

    /// <summary>The page's bytes with its revision in the first <c>h1</c>; <paramref name="page"/> itself for revision 0.</summary>
    public static ReadOnlyMemory<byte> Revised(ReadOnlyMemory<byte> page, int revision)
    {
        var end = revision == 0 ? -1 : page.Span.IndexOf(HeadingEnd);
        if (end < 0)
        {
            return page;
        }

        var suffix = Encoding.UTF8.GetBytes(string.Create(CultureInfo.InvariantCulture, $" (revision {revision})"));
        var revised = new byte[page.Length + suffix.Length];
        page.Span[..end].CopyTo(revised);
        suffix.CopyTo(revised.AsSpan(end));
        page.Span[end..].CopyTo(revised.AsSpan(end + suffix.Length));
        return revised;
    }
}
