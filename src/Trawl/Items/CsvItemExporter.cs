using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;

namespace Trawl.Items;

/// <summary>
/// CSV (RFC 4180 quoting, <c>\n</c> line endings). The header row holds the first item's top-level keys, in order
/// (or, appending to a file that has one, that file's header). Later items are written in those columns: a missing
/// key gives an empty field, and an item with a key the header lacks is refused (<see cref="UnknownColumnException"/>)
/// rather than written without it. Strings, numbers and booleans are written as plain text, <c>null</c> as an empty
/// field, and objects and arrays as compact JSON. A field is quoted when it holds a comma, a quote, CR or LF.
/// </summary>
internal sealed class CsvItemExporter : FileItemExporter
{
    private static readonly JsonSerializerOptions NestedJson = new() { Encoder = Encoder, WriteIndented = false };

    private readonly StringBuilder _record = new();
    private string[]? _columns;

    private CsvItemExporter(string fullPath, FileStream stream, string[]? columns)
        : base(fullPath, stream) => _columns = columns;

    /// <summary>
    /// Wraps a file opened fresh, or opened to resume at <paramref name="resumeAt"/> (not yet truncated), in which
    /// case the columns are read back from its header row.
    /// </summary>
    public static CsvItemExporter Open(string fullPath, FileStream stream, long resumeAt)
    {
        string[]? columns = null;
        if (resumeAt > 0)
        {
            columns = ReadHeader(stream, fullPath, resumeAt);
            if (ExportFile.ReadAt(stream, fullPath, resumeAt - 1, 1) is not [(byte)'\n'])
            {
                throw JsonLinesItemExporter.ResumeMismatch(fullPath, resumeAt, "a row");
            }

            ExportFile.Truncate(stream, fullPath, resumeAt);
        }

        return new CsvItemExporter(fullPath, stream, columns);
    }

    /// <summary>
    /// Wraps a file opened to append to: rows go after its last one, in the columns of its header row (an empty file
    /// gets the first item's). A last row without its line feed gets one first.
    /// </summary>
    /// <exception cref="ItemExportException">The file does not start with a header row.</exception>
    public static CsvItemExporter OpenAppend(string fullPath, FileStream stream)
    {
        JsonLinesItemExporter.EndWithLineFeed(stream, fullPath);
        var end = stream.CanSeek ? stream.Position : 0;
        var columns = end > 0 ? ReadHeader(stream, fullPath, end, appending: true) : null;
        stream.Position = end;
        return new CsvItemExporter(fullPath, stream, columns);
    }

    /// <summary>Whether a field must be quoted.</summary>
    internal static bool NeedsQuotes(ReadOnlySpan<char> field) => field.ContainsAny(",\"\r\n");

    /// <summary>Splits one CSV record (without its line ending) into fields, undoing RFC 4180 quoting.</summary>
    internal static string[] ParseRecord(ReadOnlySpan<char> record)
    {
        var fields = new List<string>();
        var field = new StringBuilder();
        var quoted = false;
        for (var i = 0; i < record.Length; i++)
        {
            var c = record[i];
            if (quoted)
            {
                if (c != '"')
                {
                    field.Append(c);
                }
                else if (i + 1 < record.Length && record[i + 1] == '"')
                {
                    field.Append('"');
                    i++;
                }
                else
                {
                    quoted = false;
                }
            }
            else if (c == ',')
            {
                fields.Add(field.ToString());
                field.Clear();
            }
            else if (c == '"')
            {
                quoted = true;
            }
            else
            {
                field.Append(c);
            }
        }

        fields.Add(field.ToString());
        return [.. fields];
    }

    /// <inheritdoc />
    internal override ItemFormat Format => ItemFormat.Csv;

    /// <inheritdoc />
    protected override void AppendItem(JsonObject item, long offset)
    {
        if (offset == 0 || _columns is null)
        {
            // A fresh file (or one whose earlier batch failed and was cut off): the first item names the columns.
            _columns = [.. item.Select(static property => property.Key)];
            AppendRecord(_columns);
        }

        var fields = new string[_columns.Length];
        var found = 0;
        for (var i = 0; i < fields.Length; i++)
        {
            if (item.TryGetPropertyValue(_columns[i], out var value))
            {
                fields[i] = Render(value);
                found++;
            }
            else
            {
                fields[i] = string.Empty;
            }
        }

        if (found < item.Count)
        {
            throw new UnknownColumnException(FullPath, item.Select(static property => property.Key).First(key => !_columns.Contains(key, StringComparer.Ordinal)), _columns);
        }

        AppendRecord(fields);
    }

    private static string Render(JsonNode? value)
    {
        if (value is not JsonValue scalar)
        {
            return value is null ? string.Empty : value.ToJsonString(NestedJson);
        }

        switch (scalar.GetValueKind())
        {
            case JsonValueKind.String:
                if (scalar.TryGetValue<string>(out var text))
                {
                    return text;
                }

                // A value such as a Guid or a DateTimeOffset that serializes as a string: write that string.
                using (var document = JsonDocument.Parse(scalar.ToJsonString(NestedJson)))
                {
                    return document.RootElement.GetString() ?? string.Empty;
                }

            case JsonValueKind.True:
                return "true";
            case JsonValueKind.False:
                return "false";
            case JsonValueKind.Null or JsonValueKind.Undefined:
                return string.Empty;
            default:
                return scalar.ToJsonString(NestedJson);
        }
    }

    private static string[] ReadHeader(FileStream stream, string fullPath, long limit, bool appending = false)
    {
        // Find the end of the first record: the first LF outside quotes. Quotes and LF are ASCII, so scanning the
        // UTF-8 bytes is safe.
        var header = new List<byte>();
        var quoted = false;
        const int chunk = 4096;
        for (long offset = 0; offset < limit; offset += chunk)
        {
            var bytes = ExportFile.ReadAt(stream, fullPath, offset, (int)Math.Min(chunk, limit - offset));
            for (var i = 0; i < bytes.Length; i++)
            {
                var b = bytes[i];
                if (b == (byte)'"')
                {
                    quoted = !quoted;
                }
                else if (b == (byte)'\n' && !quoted)
                {
                    var text = Encoding.UTF8.GetString([.. header]);
                    return ParseRecord(text.EndsWith('\r') ? text.AsSpan(0, text.Length - 1) : text);
                }

                header.Add(b);
            }

            if (bytes.Length == 0)
            {
                break;
            }
        }

        throw appending
            ? new ItemExportException(fullPath, $"Cannot append items to '{fullPath}': it does not start with a CSV header row. Give another -o, or -O to overwrite the file.", null)
            : ExportFile.NotAsRecorded(fullPath, $"its first {limit} bytes do not hold a complete CSV header row");
    }

    private void AppendRecord(IReadOnlyList<string> fields)
    {
        _record.Clear();
        for (var i = 0; i < fields.Count; i++)
        {
            if (i > 0)
            {
                _record.Append(',');
            }

            var field = fields[i];
            if (NeedsQuotes(field))
            {
                _record.Append('"').Append(field.Replace("\"", "\"\"", StringComparison.Ordinal)).Append('"');
            }
            else
            {
                _record.Append(field);
            }
        }

        _record.Append('\n');

        // Encoded as one string: a chunk boundary of the builder could split a surrogate pair.
        AppendText(_record.ToString());
    }
}

/// <summary>
/// An item has a field that is not a column of the CSV file it goes to. CSV has one header row, written before the
/// rows, so the item is refused rather than written without that field.
/// </summary>
internal sealed class UnknownColumnException(string fullPath, string field, IReadOnlyList<string> columns)
    : InvalidOperationException(
        $"An item has the field '{field}', which is not a column of '{fullPath}' (its header row holds {string.Join(", ", columns.Select(static c => $"'{c}'"))}: " +
        "a CSV file's columns are fixed by its header row, written with its first item). Write JSON Lines (.jsonl) or JSON (.json) to keep every field, " +
        "or give every item the same fields (null for a missing value).")
{
    /// <summary>The field the header lacks.</summary>
    public string Field { get; } = field;
}
