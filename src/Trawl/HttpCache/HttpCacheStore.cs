using System.Collections.Concurrent;
using System.Globalization;
using System.IO.Compression;
using System.Text.Json;
using Microsoft.Data.Sqlite;
using Trawl.Http;

namespace Trawl.HttpCache;

/// <summary>
/// The cache directory's database, <c>http-cache.db</c>: one row per request fingerprint, the response's metadata as
/// JSON and its body compressed with Brotli. SQLite in write-ahead-log mode, so readers never wait for writers and
/// processes sharing the directory take turns to write. Safe for concurrent use: each call takes a connection of its
/// own from a small pool.
/// </summary>
internal sealed class HttpCacheStore : IDisposable
{
    /// <summary>The database's file name in the cache directory.</summary>
    public const string FileName = "http-cache.db";

    private const int FormatVersion = 1;
    private const int BrotliQuality = 5;
    private const int BrotliWindow = 22;

    private static readonly TimeSpan BusyTimeout = TimeSpan.FromSeconds(30);

    private static readonly string Schema = $"""
        CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
        INSERT OR IGNORE INTO meta (key, value) VALUES ('format_version', '{FormatVersion}');
        CREATE TABLE IF NOT EXISTS responses (
            fingerprint BLOB PRIMARY KEY,
            method TEXT NOT NULL,
            url TEXT NOT NULL,
            final_url TEXT NOT NULL,
            status INTEGER NOT NULL,
            headers TEXT NOT NULL,
            redirects TEXT NOT NULL,
            vary TEXT,
            body BLOB NOT NULL,
            body_length INTEGER NOT NULL,
            stored_at INTEGER NOT NULL
        ) WITHOUT ROWID;
        """;

    private readonly string _connectionString;
    private readonly ConcurrentBag<SqliteConnection> _idle = [];
    private volatile bool _disposed;

    private HttpCacheStore(string directory, string connectionString)
    {
        Directory = directory;
        _connectionString = connectionString;
    }

    /// <summary>The cache directory, as given.</summary>
    public string Directory { get; }

    /// <summary>Opens the cache in <paramref name="directory"/>, creating the directory and the database if missing.</summary>
    /// <exception cref="HttpCacheException">The directory cannot be used; the message says why.</exception>
    public static HttpCacheStore Open(string directory)
    {
        string path;
        try
        {
            System.IO.Directory.CreateDirectory(directory);
            path = Path.Combine(directory, FileName);
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException or ArgumentException or NotSupportedException)
        {
            throw new HttpCacheException(directory, ex.Message, ex);
        }

        var connectionString = new SqliteConnectionStringBuilder
        {
            DataSource = path,
            Mode = SqliteOpenMode.ReadWriteCreate,
            Pooling = false,
            DefaultTimeout = (int)BusyTimeout.TotalSeconds,
        }.ToString();
        var store = new HttpCacheStore(directory, connectionString);
        try
        {
            var connection = store.Rent();
            try
            {
                using var transaction = connection.BeginTransaction(deferred: false);
                Execute(connection, Schema, transaction);
                using var version = connection.CreateCommand();
                version.Transaction = transaction;
                version.CommandText = "SELECT value FROM meta WHERE key = 'format_version'";
                var stored = version.ExecuteScalar() as string;
                if (!int.TryParse(stored, NumberStyles.None, CultureInfo.InvariantCulture, out var format) || format > FormatVersion)
                {
                    throw new HttpCacheException(directory, $"{FileName} is in format {stored ?? "(none)"}, which this trawl does not read (a newer trawl wrote it); use another directory.");
                }

                transaction.Commit();
            }
            finally
            {
                store.Return(connection);
            }
        }
        catch (SqliteException ex)
        {
            store.Dispose();
            throw new HttpCacheException(directory, ex.SqliteErrorCode switch
            {
                11 or 26 => $"{FileName} is damaged or not a database; move it away, or use another directory",
                8 => $"{FileName} is read-only",
                5 or 6 => $"{FileName} stayed locked by another process for {BusyTimeout.TotalSeconds:0} s",
                13 => "the disk is full",
                _ => ex.Message,
            }, ex);
        }
        catch
        {
            store.Dispose();
            throw;
        }

        return store;
    }

    /// <summary>The entry stored for a fingerprint, or <see langword="null"/>.</summary>
    /// <exception cref="SqliteException">The database failed.</exception>
    /// <exception cref="InvalidDataException">The entry is damaged (it is removed).</exception>
    public CachedResponse? Get(RequestFingerprint key)
    {
        var connection = Rent();
        try
        {
            using var command = connection.CreateCommand();
            command.CommandText = "SELECT final_url, status, headers, redirects, vary, body, body_length, stored_at FROM responses WHERE fingerprint = $key";
            command.Parameters.AddWithValue("$key", key.ToBytes());
            using var reader = command.ExecuteReader();
            if (!reader.Read())
            {
                return null;
            }

            try
            {
                return new CachedResponse(
                    new Uri(reader.GetString(0), UriKind.Absolute),
                    reader.GetInt32(1),
                    new(JsonSerializer.Deserialize<Dictionary<string, string[]>>(reader.GetString(2)) ?? throw new InvalidDataException("no headers"), StringComparer.OrdinalIgnoreCase),
                    [.. (JsonSerializer.Deserialize<string[]>(reader.GetString(3)) ?? []).Select(static url => new Uri(url, UriKind.Absolute))],
                    reader.IsDBNull(4) ? null : new(JsonSerializer.Deserialize<Dictionary<string, string>>(reader.GetString(4)) ?? [], StringComparer.OrdinalIgnoreCase),
                    Decompress((byte[])reader.GetValue(5), reader.GetInt32(6)),
                    DateTimeOffset.FromUnixTimeMilliseconds(reader.GetInt64(7)));
            }
            catch (Exception ex) when (ex is JsonException or UriFormatException or InvalidDataException or InvalidCastException or OverflowException)
            {
                reader.Close();
                Remove(connection, key);
                throw new InvalidDataException($"The cached entry is damaged ({ex.Message}); it was removed.", ex);
            }
        }
        finally
        {
            Return(connection);
        }
    }

    /// <summary>Stores an entry, replacing any stored for the fingerprint.</summary>
    /// <exception cref="SqliteException">The database failed (a full disk, say).</exception>
    public void Put(RequestFingerprint key, string method, Uri url, CachedResponse entry)
    {
        var body = Compress(entry.Body.Span);
        var connection = Rent();
        try
        {
            using var command = connection.CreateCommand();
            command.CommandText = """
                INSERT OR REPLACE INTO responses (fingerprint, method, url, final_url, status, headers, redirects, vary, body, body_length, stored_at)
                VALUES ($key, $method, $url, $final_url, $status, $headers, $redirects, $vary, $body, $body_length, $stored_at)
                """;
            command.Parameters.AddWithValue("$key", key.ToBytes());
            command.Parameters.AddWithValue("$method", method);
            command.Parameters.AddWithValue("$url", url.AbsoluteUri);
            command.Parameters.AddWithValue("$final_url", entry.Url.AbsoluteUri);
            command.Parameters.AddWithValue("$status", entry.Status);
            command.Parameters.AddWithValue("$headers", JsonSerializer.Serialize(entry.Headers));
            command.Parameters.AddWithValue("$redirects", JsonSerializer.Serialize(entry.Redirects.Select(static uri => uri.AbsoluteUri)));
            command.Parameters.AddWithValue("$vary", entry.Vary is null ? DBNull.Value : JsonSerializer.Serialize(entry.Vary));
            command.Parameters.AddWithValue("$body", body);
            command.Parameters.AddWithValue("$body_length", entry.Body.Length);
            command.Parameters.AddWithValue("$stored_at", entry.StoredAt.ToUnixTimeMilliseconds());
            command.ExecuteNonQuery();
        }
        finally
        {
            Return(connection);
        }
    }

    /// <summary>Replaces a stored entry's headers and time, keeping its body: what a <c>304 Not Modified</c> does.</summary>
    /// <exception cref="SqliteException">The database failed.</exception>
    public void Refresh(RequestFingerprint key, CachedResponse entry)
    {
        var connection = Rent();
        try
        {
            using var command = connection.CreateCommand();
            command.CommandText = "UPDATE responses SET headers = $headers, stored_at = $stored_at WHERE fingerprint = $key";
            command.Parameters.AddWithValue("$key", key.ToBytes());
            command.Parameters.AddWithValue("$headers", JsonSerializer.Serialize(entry.Headers));
            command.Parameters.AddWithValue("$stored_at", entry.StoredAt.ToUnixTimeMilliseconds());
            command.ExecuteNonQuery();
        }
        finally
        {
            Return(connection);
        }
    }

    /// <summary>Closes the database.</summary>
    public void Dispose()
    {
        _disposed = true;
        while (_idle.TryTake(out var connection))
        {
            connection.Dispose();
        }
    }

    private static void Remove(SqliteConnection connection, RequestFingerprint key)
    {
        using var command = connection.CreateCommand();
        command.CommandText = "DELETE FROM responses WHERE fingerprint = $key";
        command.Parameters.AddWithValue("$key", key.ToBytes());
        command.ExecuteNonQuery();
    }

    private static byte[] Compress(ReadOnlySpan<byte> body)
    {
        var buffer = new byte[BrotliEncoder.GetMaxCompressedLength(body.Length)];
        return BrotliEncoder.TryCompress(body, buffer, out var written, BrotliQuality, BrotliWindow)
            ? buffer[..written]
            : throw new InvalidOperationException("Brotli could not compress a response body.");
    }

    private static byte[] Decompress(byte[] compressed, int length)
    {
        var body = new byte[length];
        if (!BrotliDecoder.TryDecompress(compressed, body, out var written) || written != length)
        {
            throw new InvalidDataException($"the body does not decompress to its {length} bytes");
        }

        return body;
    }

    private static void Execute(SqliteConnection connection, string sql, SqliteTransaction? transaction = null)
    {
        using var command = connection.CreateCommand();
        command.Transaction = transaction;
        command.CommandText = sql;
        command.ExecuteNonQuery();
    }

    private SqliteConnection Rent()
    {
        ObjectDisposedException.ThrowIf(_disposed, this);
        if (_idle.TryTake(out var idle))
        {
            return idle;
        }

        var connection = new SqliteConnection(_connectionString);
        try
        {
            connection.Open();

            // A cache loses nothing that matters in a power cut: NORMAL skips the fsync of each commit.
            Execute(connection, string.Create(CultureInfo.InvariantCulture, $"PRAGMA busy_timeout = {(long)BusyTimeout.TotalMilliseconds}; PRAGMA journal_mode = WAL; PRAGMA synchronous = NORMAL;"));
            return connection;
        }
        catch
        {
            connection.Dispose();
            throw;
        }
    }

    private void Return(SqliteConnection connection)
    {
        if (_disposed)
        {
            connection.Dispose();
            return;
        }

        _idle.Add(connection);
    }
}

/// <summary>A response as the cache keeps it: its body decoded, <c>Set-Cookie</c> and hop-by-hop headers left out.</summary>
/// <param name="Url">The final URL, after redirects.</param>
/// <param name="Status">The HTTP status.</param>
/// <param name="Headers">The response's headers (content headers included).</param>
/// <param name="Redirects">The URLs redirected through before <paramref name="Url"/>.</param>
/// <param name="Vary">The request's values of the headers the response's <c>Vary</c> names, or <see langword="null"/>.</param>
/// <param name="Body">The body, after content decoding.</param>
/// <param name="StoredAt">When it was stored, or last revalidated.</param>
internal sealed record CachedResponse(
    Uri Url,
    int Status,
    Dictionary<string, string[]> Headers,
    IReadOnlyList<Uri> Redirects,
    Dictionary<string, string>? Vary,
    ReadOnlyMemory<byte> Body,
    DateTimeOffset StoredAt);
