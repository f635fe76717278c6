using System.Reflection;

namespace Trawl.Cli;

/// <summary>The trawl command line, for the <c>trawl</c> tool and for console apps that host their own spiders.</summary>
public static class TrawlCli
{
    /// <summary>Runs the trawl command line with the spiders found in <paramref name="spiderAssemblies"/>.</summary>
    /// <returns>The process exit code (see <see cref="ExitCodes"/>).</returns>
    public static Task<int> RunAsync(string[] args, params Assembly[] spiderAssemblies) => throw new NotImplementedException();
}
