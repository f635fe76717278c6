namespace Trawl.Frontier;

/// <summary>
/// Implemented by frontiers whose leases expire unless renewed, such as the Redis frontier. The engine renews every
/// lease it holds (buffered, in flight, or awaiting commit) with <see cref="IFrontier.RenewAsync"/> every third of
/// <see cref="LeaseDuration"/> while the crawl runs. Frontiers without it (in memory, SQLite) hold leases until they
/// are completed or released, and get no heartbeat.
/// </summary>
public interface IExpiringLeases
{
    /// <summary>How long a lease lasts unless it is renewed.</summary>
    TimeSpan LeaseDuration { get; }
}
