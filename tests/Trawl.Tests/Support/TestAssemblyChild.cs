using System.Diagnostics;

namespace Trawl.Tests.Support;

/// <summary>
/// This test assembly run as a child process (<c>dotnet Trawl.Tests.dll</c>), so a test can SIGKILL real work: a
/// module initializer that sees its environment variable runs the child's work on a foreground thread (the assembly's
/// own entry point does nothing).
/// </summary>
public static class TestAssemblyChild
{
    /// <summary>Starts the child with <paramref name="environment"/>, its standard streams redirected.</summary>
    public static Process Start(IReadOnlyDictionary<string, string> environment)
    {
        var start = new ProcessStartInfo("dotnet", [typeof(TestAssemblyChild).Assembly.Location])
        {
            RedirectStandardInput = true,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
        };
        foreach (var (name, value) in environment)
        {
            start.Environment[name] = value;
        }

        return Process.Start(start)!;
    }

    /// <summary>
    /// Runs <paramref name="work"/> on a foreground thread and exits with the code it returns (70 and the exception on
    /// standard error when it throws). Not in the module initializer itself: code of this assembly on other threads
    /// (async continuations) waits for the initializer to return.
    /// </summary>
    public static void Run(Func<Task<int>> work) =>
        new Thread(() =>
        {
            try
            {
                Environment.Exit(work().GetAwaiter().GetResult());
            }
            catch (Exception ex)
            {
                Console.Error.WriteLine(ex);
                Environment.Exit(70);
            }
        }) { IsBackground = false }.Start();
}
