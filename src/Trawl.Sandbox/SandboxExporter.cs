using Trawl.Sandbox.Site;

namespace Trawl.Sandbox;

/// <summary>
/// Writes the sandbox site's pages as static files, so another web server (nginx) serves the same site at the
/// same URLs, for comparing crawlers and servers on equal terms.
/// </summary>
/// <remarks>
/// <para>
/// Every page of <see cref="SandboxSite.ReachablePaths"/> becomes an <c>index.html</c> in the folder named by its
/// path: <c>/</c> is <c>index.html</c>, <c>/pages/7</c> is <c>pages/7/index.html</c>, <c>/quotes/page/2/</c> is
/// <c>quotes/page/2/index.html</c>. <c>robots.txt</c> is written when <see cref="SandboxOptions.RobotsTxt"/> is set.
/// The <c>/trap/…</c> endpoints are not exported. Files are byte for byte what <see cref="SandboxServer"/> serves
/// when its <see cref="SandboxServer.BaseUrl"/> equals the export's base URL.
/// </para>
/// <para>
/// To serve the export, point nginx's <c>root</c> at the directory and use, in the <c>server</c> block:
/// </para>
/// <code>
/// charset utf-8;
/// location / { try_files $uri $uri/index.html =404; }
/// </code>
/// <para>
/// <c>$uri/index.html</c> serves <c>/pages/7</c> without the redirect to <c>/pages/7/</c> nginx would otherwise
/// send for a folder, and keeps the URL <c>/pages/7</c>, so relative links resolve as they do against the sandbox
/// server. <c>charset utf-8</c> adds the charset to the Content-Type, as the sandbox server sends it.
/// </para>
/// </remarks>
public static class SandboxExporter
{
    /// <summary>
    /// Writes the site into <paramref name="directory"/> (created if missing; existing files of the same names are
    /// overwritten, others are left alone).
    /// </summary>
    /// <param name="directory">The folder to write into; nginx's <c>root</c>.</param>
    /// <param name="options">The site to export. Only the site options matter; <see cref="SandboxOptions.Host"/> and
    /// <see cref="SandboxOptions.Port"/> are ignored.</param>
    /// <param name="baseUrl">Where the export will be served, for example <c>http://127.0.0.1:8080/</c>: an absolute
    /// http or https URL with path <c>/</c>, no query and no fragment. Absolute links in the pages start with it.</param>
    /// <param name="cancellationToken">Stops the export between files.</param>
    /// <returns>How many files were written.</returns>
    /// <exception cref="ArgumentException">An option or <paramref name="baseUrl"/> is invalid.</exception>
    public static async Task<int> ExportAsync(string directory, SandboxOptions options, Uri baseUrl, CancellationToken cancellationToken = default)
    {
        ArgumentException.ThrowIfNullOrEmpty(directory);
        ArgumentNullException.ThrowIfNull(baseUrl);
        if (!baseUrl.IsAbsoluteUri
            || (baseUrl.Scheme != Uri.UriSchemeHttp && baseUrl.Scheme != Uri.UriSchemeHttps)
            || baseUrl.AbsolutePath != "/" || baseUrl.Query.Length > 0 || baseUrl.Fragment.Length > 0)
        {
            throw new ArgumentException($"The base URL must be an absolute http or https URL with path '/', such as 'http://127.0.0.1:8080/'; got '{baseUrl}'.", nameof(baseUrl));
        }

        var site = new SiteModel(options);
        var root = Path.GetFullPath(directory);
        var written = 0;
        // The script-built section needs the server (its JSON, its cookies): it is not exported.
        foreach (var path in SiteRoutes.Paths(site).Where(static path => !path.StartsWith(AppSection.Prefix, StringComparison.Ordinal)))
        {
            cancellationToken.ThrowIfCancellationRequested();
            using var page = SiteRoutes.Render(site, path, baseUrl.AbsoluteUri)
                ?? throw new InvalidOperationException($"The sandbox lists '{path}' as a page but cannot render it.");
            var file = FileFor(root, path);
            Directory.CreateDirectory(Path.GetDirectoryName(file)!);
            await File.WriteAllBytesAsync(file, page.Memory, cancellationToken).ConfigureAwait(false);
            written++;
        }

        if (site.Options.RobotsTxt is { } robots)
        {
            Directory.CreateDirectory(root);
            await File.WriteAllTextAsync(Path.Combine(root, "robots.txt"), robots, cancellationToken).ConfigureAwait(false);
            written++;
        }

        return written;
    }

    /// <summary>The file that holds the page at <paramref name="path"/> in an export rooted at <paramref name="root"/>.</summary>
    internal static string FileFor(string root, string path)
    {
        var folder = path.Trim('/');
        return folder.Length == 0
            ? Path.Combine(root, "index.html")
            : Path.Combine(root, folder.Replace('/', Path.DirectorySeparatorChar), "index.html");
    }
}
