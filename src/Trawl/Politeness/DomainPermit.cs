namespace Trawl.Politeness;

/// <summary>The answer of <see cref="IDomainGate.TryAcquireAsync"/>.</summary>
/// <param name="Acquired">Whether the request may start now. If so, <see cref="IDomainGate.ReleaseAsync"/> is due once it ends.</param>
/// <param name="RetryAfter">When not acquired: how long until a try may succeed.</param>
public readonly record struct DomainPermit(bool Acquired, TimeSpan RetryAfter);
