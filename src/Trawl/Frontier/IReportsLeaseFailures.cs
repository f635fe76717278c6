namespace Trawl.Frontier;

/// <summary>
/// Implemented by frontiers that fail a request on their own while leasing, without a worker completing it: a stored
/// request that can no longer be read (edited by hand, or damaged) fails as <c>invalid_request</c> rather than block
/// every lease. The engine takes these failures after each lease and logs and counts each like any other, so a run's
/// summary agrees with what the frontier holds.
/// </summary>
internal interface IReportsLeaseFailures
{
    /// <summary>Takes the failures since the last call: <see langword="null"/> or empty when there were none.</summary>
    IReadOnlyList<LeaseFailure>? TakeLeaseFailures();
}

/// <summary>A request the frontier failed on its own while leasing.</summary>
/// <param name="EntryId">The frontier's identifier of the request (its URL may be unreadable).</param>
/// <param name="Kind">The error kind, for example <c>invalid_request</c>.</param>
/// <param name="Error">Why it failed.</param>
internal sealed record LeaseFailure(long EntryId, string Kind, string Error);
