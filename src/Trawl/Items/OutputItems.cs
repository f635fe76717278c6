using System.Buffers;
using Microsoft.Win32.SafeHandles;

namespace Trawl.Items;

/// <summary>
/// Counts the items in a stretch of an output file, by the layout each exporter writes: JSON Lines has one item per
/// line; a JSON array has one item per line, each line of an item starting with <c>{</c>; CSV has one record per item
/// after its header row, records ending with a line feed outside quotes. Used to check an output against what a job
/// recorded, so it reads the file and never changes it.
/// </summary>
internal static class OutputItems
{
    private const int ChunkSize = 64 * 1024;

    /// <summary>Counts the complete items between <paramref name="from"/> and the end of the file at <paramref name="fullPath"/>.</summary>
    /// <param name="fullPath">The output file.</param>
    /// <param name="format">Its format.</param>
    /// <param name="from">Where an item ended (or 0): a position an exporter recorded.</param>
    public static long CountAfter(string fullPath, ItemFormat format, long from)
    {
        using var handle = File.OpenHandle(fullPath, FileMode.Open, FileAccess.Read, FileShare.ReadWrite | FileShare.Delete);
        return Count(handle, format, from, RandomAccess.GetLength(handle), endsAtItem: false);
    }

    /// <summary>Counts the items between <paramref name="from"/> and <paramref name="to"/>.</summary>
    /// <param name="handle">The output file, open for reading.</param>
    /// <param name="format">Its format.</param>
    /// <param name="from">Where an item ended (or 0): a position an exporter recorded.</param>
    /// <param name="to">Where to stop counting.</param>
    /// <param name="endsAtItem">
    /// Whether an item ends at <paramref name="to"/> (a recorded position, or the end of a finished file), so that a
    /// last line without its line feed is whole; otherwise such a line is a torn write and does not count.
    /// </param>
    public static long Count(SafeFileHandle handle, ItemFormat format, long from, long to, bool endsAtItem)
    {
        var buffer = ArrayPool<byte>.Shared.Rent(ChunkSize);
        try
        {
            var counter = new Counter(format, atFileStart: from == 0);
            for (var offset = from; offset < to;)
            {
                var read = RandomAccess.Read(handle, buffer.AsSpan(0, (int)Math.Min(buffer.Length, to - offset)), offset);
                if (read == 0)
                {
                    break;
                }

                counter.Add(buffer.AsSpan(0, read));
                offset += read;
            }

            return counter.Finish(endsAtItem);
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(buffer);
        }
    }

    private struct Counter(ItemFormat format, bool atFileStart)
    {
        private readonly bool _fromFileStart = atFileStart;
        private long _lines;
        private bool _atLineStart = atFileStart;
        private bool _lineIsItem;
        private bool _inQuotes;

        public void Add(ReadOnlySpan<byte> bytes)
        {
            switch (format)
            {
                case ItemFormat.JsonLines:
                    _lines += bytes.Count((byte)'\n');
                    _lineIsItem = bytes.Length > 0 ? bytes[^1] != (byte)'\n' : _lineIsItem;
                    break;
                case ItemFormat.Json:
                    AddJsonArray(bytes);
                    break;
                default:
                    AddCsv(bytes);
                    break;
            }
        }

        public readonly long Finish(bool endsAtItem)
        {
            var items = _lines + (endsAtItem && _lineIsItem ? 1 : 0);
            return format == ItemFormat.Csv && _fromFileStart && items > 0 ? items - 1 : items;
        }

        // A line is an item when it starts with '{' (the array's brackets and separators sit on lines of their own or
        // after an item).
        private void AddJsonArray(ReadOnlySpan<byte> bytes)
        {
            while (!bytes.IsEmpty)
            {
                if (_atLineStart)
                {
                    _lineIsItem = bytes[0] == (byte)'{';
                    _atLineStart = false;
                }

                var end = bytes.IndexOf((byte)'\n');
                if (end < 0)
                {
                    return;
                }

                _lines += _lineIsItem ? 1 : 0;
                _lineIsItem = false;
                _atLineStart = true;
                bytes = bytes[(end + 1)..];
            }
        }

        // Every record ends with a line feed outside quotes; an escaped quote ("") toggles twice.
        private void AddCsv(ReadOnlySpan<byte> bytes)
        {
            while (!bytes.IsEmpty)
            {
                var next = bytes.IndexOfAny((byte)'"', (byte)'\n');
                if (next < 0)
                {
                    _lineIsItem = true;
                    return;
                }

                if (bytes[next] == (byte)'"')
                {
                    _inQuotes = !_inQuotes;
                    _lineIsItem = true;
                }
                else if (!_inQuotes)
                {
                    _lines++;
                    _lineIsItem = false;
                }

                bytes = bytes[(next + 1)..];
            }
        }
    }
}
