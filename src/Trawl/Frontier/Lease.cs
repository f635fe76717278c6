using Trawl.Http;

namespace Trawl.Frontier;

/// <summary>A request taken from the frontier by one worker, until it is completed, released or expires.</summary>
/// <param name="EntryId">The frontier's identifier for the scheduled request.</param>
/// <param name="Token">Identifies this particular lease; a completion carrying an older token is rejected.</param>
/// <param name="Request">The leased request.</param>
/// <param name="Attempt">The attempt this lease is for: 1 for the first fetch, 2 for the first retry, and so on.</param>
/// <param name="ExpiresAt">When the lease lapses unless renewed; <see cref="DateTimeOffset.MaxValue"/> for never.</param>
public sealed record Lease(long EntryId, long Token, Request Request, int Attempt, DateTimeOffset ExpiresAt)
{
    /// <summary>
    /// The validators a kept job stored when it last fetched this request, sent back so that an unchanged page is answered
    /// <c>304</c>; <see langword="null"/> for a request never fetched (or fetched from a response without validators).
    /// </summary>
    internal PageValidators? Validators { get; init; }
}
