namespace Trawl.HttpCache;

/// <summary>The HTTP cache directory cannot be used: not writable, not a cache, damaged, or in a newer format.</summary>
/// <remarks>Thrown when a crawl is built; nothing was fetched. The message names the directory and the problem.</remarks>
public sealed class HttpCacheException : Exception
{
    internal HttpCacheException(string directory, string problem, Exception? inner = null)
        : base($"Cannot use the HTTP cache in '{directory}': {problem}", inner)
    {
        Directory = directory;
    }

    /// <summary>The cache directory.</summary>
    public string Directory { get; }
}
