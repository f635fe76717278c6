namespace Trawl.Items;

/// <summary>
/// Implemented by durable item logs (a job's) that record which committed items failed on their way out, so a failed
/// item is counted and shown with the job (<c>trawl status</c>) and never exported later: a replay after a crash or a
/// resume leaves it out.
/// </summary>
internal interface IItemFailureLog
{
    /// <summary>Records failed items. Recording an item that is already recorded changes nothing.</summary>
    ValueTask RecordItemFailuresAsync(IReadOnlyList<ItemFailure> failures, CancellationToken cancellationToken);
}

/// <summary>A committed item that a pipeline or the exporter failed on.</summary>
/// <param name="Sequence">
/// The item's sequence in the item log, or <see langword="null"/> when it cannot be told (a pipeline that returned new
/// objects in place of the ones it was given, and the exporter then failed on one of them).
/// </param>
/// <param name="Kind"><see cref="ItemFeed.PipelineError"/> or <see cref="ItemFeed.ExporterError"/>.</param>
/// <param name="Error">Which pipeline or exporter failed, and why.</param>
internal sealed record ItemFailure(long? Sequence, string Kind, string Error);
