using System.Collections.Frozen;
using System.Globalization;
using System.Reflection;
using System.Text;
using Microsoft.AspNetCore.Http;
using Trawl.Sandbox.Site;

namespace Trawl.Sandbox.Traps;

/// <summary>Marks a method of <see cref="TrapEndpoints"/> as the handler of <c>/trap/{name}</c> and <c>/trap/{name}/{argument}</c>.</summary>
[AttributeUsage(AttributeTargets.Method, AllowMultiple = false, Inherited = false)]
internal sealed class TrapAttribute(string name) : Attribute
{
    public string Name { get; } = name;
}

/// <summary>Handles one request to a trap.</summary>
internal delegate Task TrapHandler(TrapContext trap);

/// <summary>One request to a trap, with helpers for reading its arguments and answering it.</summary>
internal sealed class TrapContext(HttpContext http, string? argument, SiteModel site, TrapState state, CancellationToken aborted)
{
    public HttpContext Http { get; } = http;

    public HttpRequest Request => Http.Request;

    public HttpResponse Response => Http.Response;

    /// <summary>What follows <c>/trap/{name}/</c> in the path, or <see langword="null"/> when nothing does.</summary>
    public string? Argument { get; } = argument;

    public SiteModel Site { get; } = site;

    /// <summary>What the traps of this server remember between requests.</summary>
    public TrapState State { get; } = state;

    /// <summary>The scheme and authority the client used, for example <c>http://127.0.0.1:5000</c>, for absolute links back to this server.</summary>
    public string Origin => $"{Request.Scheme}://{Request.Host.ToUriComponent()}";

    /// <summary>Cancelled when the client goes away or the server stops.</summary>
    public CancellationToken Aborted { get; } = aborted;

    /// <summary>
    /// Reads query parameter <paramref name="name"/> as an integer in [<paramref name="min"/>, <paramref name="max"/>].
    /// Returns <see langword="false"/> only when it is present but invalid; when absent, <paramref name="value"/> is <paramref name="fallback"/>.
    /// </summary>
    public bool TryQuery(string name, int min, int max, int fallback, out int value)
    {
        value = fallback;
        var raw = Request.Query[name];
        if (raw.Count == 0)
        {
            return true;
        }

        return int.TryParse(raw[0], NumberStyles.Integer, CultureInfo.InvariantCulture, out value) && value >= min && value <= max;
    }

    /// <summary>Reads <see cref="Argument"/> as an integer in [<paramref name="min"/>, <paramref name="max"/>].</summary>
    public bool TryArgument(int min, int max, out int value)
    {
        value = 0;
        return int.TryParse(Argument, NumberStyles.None, CultureInfo.InvariantCulture, out value) && value >= min && value <= max;
    }

    /// <summary>The request target as the client sent it, for redirects back to the same URL.</summary>
    public string PathAndQuery => Request.Path.ToUriComponent() + Request.QueryString.ToUriComponent();

    /// <summary>Answers with a small HTML page whose title and heading are <paramref name="message"/>.</summary>
    public Task WritePageAsync(int status, string message)
    {
        Response.StatusCode = status;
        var html = Html.RentBuilder();
        html.Append("<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n<title>").AppendText(message)
            .Append("</title>\n</head>\n<body>\n<h1>").AppendText(message).Append("</h1>\n</body>\n</html>\n");
        return WriteAsync(Html.ToUtf8AndReturn(html), "text/html; charset=utf-8");
    }

    public Task BadRequestAsync(string problem) => WritePageAsync(StatusCodes.Status400BadRequest, problem);

    /// <summary>Writes <paramref name="body"/> with a Content-Length, then returns its buffer.</summary>
    public async Task WriteAsync(PooledBytes body, string contentType)
    {
        using (body)
        {
            Response.ContentType = contentType;
            Response.ContentLength = body.Length;
            await Response.Body.WriteAsync(body.Memory, Aborted).ConfigureAwait(false);
        }
    }
}

/// <summary>
/// The misbehaving endpoints under <c>/trap/</c>. To add one, write a static method taking a <see cref="TrapContext"/>
/// and returning a <see cref="Task"/>, and mark it with <see cref="TrapAttribute"/>; it is found by reflection.
/// </summary>
internal static partial class TrapEndpoints
{
    /// <summary>The trap handlers by name.</summary>
    public static FrozenDictionary<string, TrapHandler> Handlers { get; } = typeof(TrapEndpoints)
        .GetMethods(BindingFlags.Static | BindingFlags.Public | BindingFlags.NonPublic)
        .Select(method => (Method: method, Attribute: method.GetCustomAttribute<TrapAttribute>()))
        .Where(found => found.Attribute is not null)
        .ToFrozenDictionary(found => found.Attribute!.Name, found => found.Method.CreateDelegate<TrapHandler>(), StringComparer.Ordinal);

    private static readonly byte[] FillerChunk = BuildFiller(64 * 1024);

    private static byte[] BuildFiller(int size)
    {
        var text = new StringBuilder(size + 64);
        while (text.Length < size)
        {
            text.Append("filler text for a very large page, ");
        }

        return Encoding.ASCII.GetBytes(text.ToString(0, size));
    }

    /// <summary>Waits until the client goes away or the server stops; then drops the connection.</summary>
    private static async Task AbortWhenDoneAsync(TrapContext trap)
    {
        try
        {
            await Task.Delay(Timeout.Infinite, trap.Aborted).ConfigureAwait(false);
        }
        catch (OperationCanceledException)
        {
        }

        trap.Http.Abort();
    }
}
