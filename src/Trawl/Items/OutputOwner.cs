using System.Text.Json;

namespace Trawl.Items;

/// <summary>
/// The mark a durable job leaves beside its output file while the job is unfinished, naming it, so that another run
/// aimed at the file is refused with a message that says whose it is (a paused job does not hold the file's lock).
/// </summary>
/// <remarks>
/// The mark is <c>.NAME.trawl-job</c> in the output's directory (for <c>pages.jsonl</c>, <c>.pages.jsonl.trawl-job</c>):
/// a JSON object, <c>{"job":"/full/path/of/the/job"}</c>. It is written once the output is open for the job, and
/// removed when the job is marked finished (after its output is verified); a job stopped at a limit is unfinished and
/// keeps it. A mark whose job is gone or finished, or whose job has no record of writing the file, means nothing.
/// </remarks>
internal static class OutputOwner
{
    /// <summary>The path of the mark beside <paramref name="fullPath"/>.</summary>
    public static string MarkPath(string fullPath) =>
        Path.Combine(Path.GetDirectoryName(fullPath) ?? ".", "." + Path.GetFileName(fullPath) + ".trawl-job");

    /// <summary>The owner the mark beside <paramref name="fullPath"/> names, or <see langword="null"/> when there is none (or it cannot be read).</summary>
    public static string? Read(string fullPath)
    {
        try
        {
            using var document = JsonDocument.Parse(File.ReadAllBytes(MarkPath(fullPath)));
            return document.RootElement.ValueKind == JsonValueKind.Object
                && document.RootElement.TryGetProperty("job", out var job) && job.ValueKind == JsonValueKind.String
                ? job.GetString()
                : null;
        }
        catch (Exception ex) when (ExportFile.IsIoFailure(ex) || ex is JsonException)
        {
            return null;
        }
    }

    /// <summary>Marks <paramref name="fullPath"/> as <paramref name="owner"/>'s; returns why it could not, or <see langword="null"/>.</summary>
    public static string? TryWrite(string fullPath, string owner)
    {
        if (string.Equals(Read(fullPath), owner, StringComparison.Ordinal))
        {
            return null;
        }

        var mark = MarkPath(fullPath);
        var temporary = $"{mark}.{Environment.ProcessId}.tmp";
        try
        {
            File.WriteAllBytes(temporary, JsonSerializer.SerializeToUtf8Bytes(new Dictionary<string, string> { ["job"] = owner }));
            File.Move(temporary, mark, overwrite: true);
            return null;
        }
        catch (Exception ex) when (ExportFile.IsIoFailure(ex))
        {
            TryDelete(temporary);
            return ex.Message.TrimEnd('.');
        }
    }

    /// <summary>Removes the mark beside <paramref name="fullPath"/> if it names <paramref name="owner"/>.</summary>
    public static void Remove(string fullPath, string owner)
    {
        if (string.Equals(Read(fullPath), owner, StringComparison.Ordinal))
        {
            TryDelete(MarkPath(fullPath));
        }
    }

    private static void TryDelete(string path)
    {
        try
        {
            File.Delete(path);
        }
        catch (Exception ex) when (ExportFile.IsIoFailure(ex))
        {
            // A mark left behind names a job that is finished or gone, which counts for nothing.
        }
    }
}
