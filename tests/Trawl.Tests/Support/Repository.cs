namespace Trawl.Tests.Support;

/// <summary>The repository the tests were built from.</summary>
public static class Repository
{
    /// <summary>The directory holding <c>Trawl.slnx</c>, found upwards from the test assembly.</summary>
    public static string Root()
    {
        for (var directory = new DirectoryInfo(AppContext.BaseDirectory); directory is not null; directory = directory.Parent)
        {
            if (File.Exists(Path.Combine(directory.FullName, "Trawl.slnx")))
            {
                return directory.FullName;
            }
        }

        throw new InvalidOperationException($"No Trawl.slnx above {AppContext.BaseDirectory}.");
    }
}
