using Trawl.Http;

namespace Trawl.Jobs;

/// <summary>
/// A bounded, in-memory set of fingerprints that are known to be durably in a job's seen set, so that links already
/// seen can be dropped before they are serialized and sent to <c>INSERT OR IGNORE</c> only to be ignored.
/// </summary>
/// <remarks>
/// <para>Safe across a crash by construction: a fingerprint goes in only after the transaction that stored its row has
/// committed durably (or when its row is read back from the database), requests are never deleted from a job, and the
/// set starts empty on every open. A hit is therefore always a request the store would have ignored; a miss only costs
/// the insert it would have cost anyway.</para>
/// <para>Bounded by two generations: when the newer one holds half the capacity, the older one is dropped. Recently
/// seen fingerprints, which are the ones links keep pointing at, stay. Thread-safe; each call holds a lock briefly.</para>
/// </remarks>
internal sealed class StoredFingerprints
{
    private readonly Lock _gate = new();
    private readonly int _generationSize;
    private HashSet<RequestFingerprint> _current = [];
    private HashSet<RequestFingerprint> _previous = [];

    /// <param name="capacity">The most fingerprints held; 0 holds none.</param>
    public StoredFingerprints(int capacity)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(capacity);
        _generationSize = capacity / 2;
    }

    /// <summary>How many fingerprints are held now; for tests.</summary>
    internal int Count
    {
        get
        {
            lock (_gate)
            {
                return _current.Count + _previous.Count;
            }
        }
    }

    /// <summary>Whether the store is known to hold a filtered request with this request's fingerprint, so that adding it
    /// would be ignored. Always <see langword="false"/> for a <see cref="Request.DontFilter"/> request, which is never dropped.</summary>
    public bool Contains(Request request)
    {
        if (request.DontFilter || _generationSize == 0)
        {
            return false;
        }

        var fingerprint = request.Fingerprint;
        lock (_gate)
        {
            return _current.Contains(fingerprint) || _previous.Contains(fingerprint);
        }
    }

    /// <summary>Records the fingerprints of requests whose rows are durably in the store. <see cref="Request.DontFilter"/>
    /// requests do not mark their fingerprint as seen, and are skipped.</summary>
    public void AddStored(IReadOnlyList<Request> requests)
    {
        if (_generationSize == 0 || requests.Count == 0)
        {
            return;
        }

        lock (_gate)
        {
            foreach (var request in requests)
            {
                if (!request.DontFilter)
                {
                    AddLocked(request.Fingerprint);
                }
            }
        }
    }

    private void AddLocked(RequestFingerprint fingerprint)
    {
        if (_previous.Contains(fingerprint) || !_current.Add(fingerprint) || _current.Count < _generationSize)
        {
            return;
        }

        _previous = _current;
        _current = [];
    }
}
