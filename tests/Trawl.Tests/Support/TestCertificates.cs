using System.Diagnostics;

namespace Trawl.Tests.Support;

/// <summary>
/// A test CA and a server certificate it signed, for <c>localhost</c> and 127.0.0.1, made with the real
/// <c>openssl</c> command: <c>ca.crt</c>, <c>server.crt</c> and <c>server.key</c> in a directory.
/// </summary>
public sealed record TestCertificates(string CaCertificatePath, string ServerCertificatePath, string ServerKeyPath)
{
    /// <summary>Writes the CA and the server certificate into <paramref name="directory"/>.</summary>
    public static async Task<TestCertificates> CreateAsync(string directory)
    {
        var dir = directory;
        await OpenSslAsync("req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "2", "-subj", "/CN=Trawl Test CA",
            "-keyout", Path.Combine(dir, "ca.key"), "-out", Path.Combine(dir, "ca.crt"));
        await OpenSslAsync("req", "-newkey", "rsa:2048", "-nodes", "-subj", "/CN=localhost",
            "-keyout", Path.Combine(dir, "server.key"), "-out", Path.Combine(dir, "server.csr"));
        await File.WriteAllTextAsync(Path.Combine(dir, "san.ext"), "subjectAltName=DNS:localhost,IP:127.0.0.1\n");
        await OpenSslAsync("x509", "-req", "-in", Path.Combine(dir, "server.csr"), "-CA", Path.Combine(dir, "ca.crt"), "-CAkey", Path.Combine(dir, "ca.key"),
            "-CAcreateserial", "-days", "2", "-extfile", Path.Combine(dir, "san.ext"), "-out", Path.Combine(dir, "server.crt"));
        return new TestCertificates(Path.Combine(dir, "ca.crt"), Path.Combine(dir, "server.crt"), Path.Combine(dir, "server.key"));
    }

    private static async Task OpenSslAsync(params string[] arguments)
    {
        var start = new ProcessStartInfo("openssl") { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        foreach (var argument in arguments)
        {
            start.ArgumentList.Add(argument);
        }

        using var process = Process.Start(start)!;
        var stderr = process.StandardError.ReadToEndAsync();
        await process.StandardOutput.ReadToEndAsync();
        await process.WaitForExitAsync();
        if (process.ExitCode != 0)
        {
            throw new InvalidOperationException($"openssl {arguments[0]} failed: {await stderr}");
        }
    }
}
