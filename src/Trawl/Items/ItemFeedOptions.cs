using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using Trawl.Frontier;

namespace Trawl.Items;

/// <summary>What an <see cref="ItemFeed"/> writes to and how.</summary>
public sealed class ItemFeedOptions
{
    /// <summary>The output file, whose extension names the format; <see langword="null"/> to keep items in <see cref="ItemFeed.Items"/>.</summary>
    public string? Output { get; init; }

    /// <summary>The output's format.</summary>
    /// <value>The default is <see langword="null"/>: the format <see cref="Output"/>'s extension names (see <see cref="ItemExporters.FormatOf"/>).</value>
    public ItemFormat? Format { get; init; }

    /// <summary>
    /// Whether an output written afresh (one the <see cref="ItemLog"/> has no checkpoint of) is emptied first, rather
    /// than appended to. Appending puts JSON Lines after the file's last line, a JSON array's items inside the array,
    /// and CSV rows under its header row, in its columns.
    /// </summary>
    /// <value>The default is <see langword="false"/>: items are appended, and nothing the file held is lost.</value>
    public bool Overwrite { get; init; }

    /// <summary>
    /// The durable job this output belongs to (its directory), named in a mark beside the output while the job is
    /// unfinished, so that another run aimed at the file can be refused with a message naming the job.
    /// </summary>
    /// <value>The default is <see langword="null"/>: no mark.</value>
    public string? Owner { get; init; }

    /// <summary>The pipelines, run in order. The feed takes a copy when it starts.</summary>
    public IList<ItemPipeline> Pipelines { get; init; } = [];

    /// <summary>How many items <see cref="ItemFeed.Items"/> keeps when there is no output.</summary>
    /// <value>The default is 100,000.</value>
    public int MaxResultItems { get; init; } = 100_000;

    /// <summary>How many items may wait for the pipelines and exporter before <see cref="ItemFeed.WriteAsync"/> waits.</summary>
    /// <value>The default is 1,024.</value>
    public int BufferSize { get; init; } = 1024;

    /// <summary>The most items taken from the buffer as one batch.</summary>
    /// <value>The default is 256.</value>
    public int BatchSize { get; init; } = 256;

    /// <summary>How many committed items are read from <see cref="ItemLog"/> at a time while replaying.</summary>
    /// <value>The default is 256.</value>
    public int ReplayPageSize { get; init; } = 256;

    /// <summary>
    /// The durable frontier's item log. With an <see cref="Output"/>, the feed records an export checkpoint after
    /// every batch and, when it starts, resumes the file at the last checkpoint and replays the items after it.
    /// </summary>
    /// <value>The default is <see langword="null"/>: the output is written afresh.</value>
    public IItemLog? ItemLog { get; init; }

    /// <summary>Where the feed logs.</summary>
    /// <value>The default is <see cref="NullLogger.Instance"/>.</value>
    public ILogger Logger { get; init; } = NullLogger.Instance;

    /// <summary>Throws an <see cref="ArgumentException"/> naming the first bad option.</summary>
    public void Validate()
    {
        Require(MaxResultItems >= 0, nameof(MaxResultItems), "must not be negative");
        Require(BufferSize >= 1, nameof(BufferSize), "must be at least 1");
        Require(BatchSize >= 1, nameof(BatchSize), "must be at least 1");
        Require(ReplayPageSize >= 1, nameof(ReplayPageSize), "must be at least 1");
        Require(Pipelines is not null && Pipelines.All(static p => p is not null), nameof(Pipelines), "must not be or hold null");
        Require(Logger is not null, nameof(Logger), "must not be null");
        Require(Format is null || Enum.IsDefined(Format.Value), nameof(Format), "must be a known format");
        if (Output is not null && Format is null)
        {
            ItemExporters.FormatOf(Output);
        }
    }

    private static void Require(bool condition, string option, string problem)
    {
        if (!condition)
        {
            throw new ArgumentException($"Item feed option {option} {problem}.", option);
        }
    }
}
