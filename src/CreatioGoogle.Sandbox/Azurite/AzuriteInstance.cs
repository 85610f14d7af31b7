using System.Diagnostics;
using System.Net;
using System.Net.Sockets;

namespace CreatioGoogle.Sandbox.Azurite;

/// <summary>
/// Azurite, Microsoft's storage emulator, run as a child process. Installs itself from npm
/// (tools/azurite) the first time, so a fresh machine needs nothing but Node.js.
/// </summary>
public sealed class AzuriteInstance : IAsyncDisposable
{
    /// <summary>Azurite's published well-known development account key (not a secret).</summary>
    public const string DevelopmentAccountKey =
        "Eby8vdM02xNOcqFlqUwJPLlmEtlCDXJ1OUzFT50uSRZ6IFsuFq2UVErCz4I6tq/K1SZFPTOtr/KBHBeksoGMGw==";

    public const int DefaultBlobPort = 10000;
    public const int DefaultQueuePort = 10001;
    public const int DefaultTablePort = 10002;

    private static readonly SemaphoreSlim InstallLock = new(1, 1);
    private readonly Process? _process;

    private AzuriteInstance(Process? process, int blobPort, int queuePort, int tablePort)
    {
        _process = process;
        BlobPort = blobPort;
        QueuePort = queuePort;
        TablePort = tablePort;
    }

    public int BlobPort { get; }
    public int QueuePort { get; }
    public int TablePort { get; }

    /// <summary>True when this object started the process (false when an Azurite was already listening).</summary>
    public bool StartedByUs => _process is not null;

    public string ConnectionString =>
        "DefaultEndpointsProtocol=http;AccountName=devstoreaccount1;" +
        $"AccountKey={DevelopmentAccountKey};" +
        $"BlobEndpoint=http://127.0.0.1:{BlobPort}/devstoreaccount1;" +
        $"QueueEndpoint=http://127.0.0.1:{QueuePort}/devstoreaccount1;" +
        $"TableEndpoint=http://127.0.0.1:{TablePort}/devstoreaccount1;";

    /// <summary>
    /// Uses the Azurite already listening on the default ports, or starts one there that keeps its data in
    /// <paramref name="dataDirectory"/>. For the local run, where data should survive a restart.
    /// </summary>
    public static async Task<AzuriteInstance> EnsureOnDefaultPortsAsync(string dataDirectory, CancellationToken cancellationToken)
    {
        if (IsListening(DefaultTablePort) && IsListening(DefaultQueuePort))
        {
            return new AzuriteInstance(null, DefaultBlobPort, DefaultQueuePort, DefaultTablePort);
        }

        Directory.CreateDirectory(dataDirectory);
        return await StartAsync(DefaultBlobPort, DefaultQueuePort, DefaultTablePort,
            ["--location", dataDirectory], cancellationToken);
    }

    /// <summary>A private, in-memory Azurite on free ports: for tests, isolated from anything else running.</summary>
    public static Task<AzuriteInstance> StartInMemoryAsync(CancellationToken cancellationToken)
    {
        return StartAsync(LoopbackHost.FreePort(), LoopbackHost.FreePort(), LoopbackHost.FreePort(), ["--inMemoryPersistence"], cancellationToken);
    }

    private static async Task<AzuriteInstance> StartAsync(
        int blobPort, int queuePort, int tablePort, string[] extraArguments, CancellationToken cancellationToken)
    {
        var executable = await LocateOrInstallAsync(cancellationToken);
        var start = new ProcessStartInfo(executable)
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        foreach (var argument in (string[])
                 ["--silent", "--skipApiVersionCheck", "--loose", "--disableTelemetry",
                  "--blobHost", "127.0.0.1", "--blobPort", blobPort.ToString(),
                  "--queueHost", "127.0.0.1", "--queuePort", queuePort.ToString(),
                  "--tableHost", "127.0.0.1", "--tablePort", tablePort.ToString(), .. extraArguments])
        {
            start.ArgumentList.Add(argument);
        }

        var process = Process.Start(start) ?? throw new InvalidOperationException($"Could not start {executable}.");
        var errors = new System.Text.StringBuilder();
        process.ErrorDataReceived += (_, e) => { if (e.Data is not null) { lock (errors) { errors.AppendLine(e.Data); } } };
        process.OutputDataReceived += (_, _) => { };
        process.BeginErrorReadLine();
        process.BeginOutputReadLine();

        var instance = new AzuriteInstance(process, blobPort, queuePort, tablePort);
        var deadline = DateTime.UtcNow.AddSeconds(60);
        while (!(IsListening(tablePort) && IsListening(queuePort) && IsListening(blobPort)))
        {
            if (process.HasExited || DateTime.UtcNow > deadline)
            {
                await instance.DisposeAsync();
                string detail;
                lock (errors) { detail = errors.ToString(); }
                throw new InvalidOperationException($"Azurite did not start (exit: {(process.HasExited ? process.ExitCode : "none")}). {detail}");
            }

            await Task.Delay(100, cancellationToken);
        }

        return instance;
    }

    private static async Task<string> LocateOrInstallAsync(CancellationToken cancellationToken)
    {
        var fromEnvironment = Environment.GetEnvironmentVariable("AZURITE_PATH");
        if (!string.IsNullOrEmpty(fromEnvironment))
        {
            return fromEnvironment;
        }

        var root = RepositoryRoot.Find()
            ?? throw new InvalidOperationException("Cannot find the repository root to install Azurite; set AZURITE_PATH.");
        var toolDirectory = Path.Combine(root, "tools", "azurite");
        var executable = Path.Combine(toolDirectory, "node_modules", ".bin", "azurite");

        await InstallLock.WaitAsync(cancellationToken);
        try
        {
            if (!File.Exists(executable))
            {
                await RunNpmInstallAsync(toolDirectory, cancellationToken);
            }
        }
        finally
        {
            InstallLock.Release();
        }

        return executable;
    }

    private static async Task RunNpmInstallAsync(string toolDirectory, CancellationToken cancellationToken)
    {
        var start = new ProcessStartInfo("npm")
        {
            WorkingDirectory = toolDirectory,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        foreach (var argument in (string[])["ci", "--no-audit", "--no-fund"])
        {
            start.ArgumentList.Add(argument);
        }

        using var npm = Process.Start(start) ?? throw new InvalidOperationException("npm is not installed; install Node.js 20+.");
        var output = npm.StandardOutput.ReadToEndAsync(cancellationToken);
        var error = npm.StandardError.ReadToEndAsync(cancellationToken);
        await npm.WaitForExitAsync(cancellationToken);
        if (npm.ExitCode != 0)
        {
            throw new InvalidOperationException($"'npm ci' in {toolDirectory} failed: {await error}{await output}");
        }
    }

    public static bool IsListening(int port)
    {
        try
        {
            using var client = new TcpClient();
            client.Connect(IPAddress.Loopback, port);
            return true;
        }
        catch (SocketException)
        {
            return false;
        }
    }


    public async ValueTask DisposeAsync()
    {
        if (_process is null)
        {
            return;
        }

        try
        {
            if (!_process.HasExited)
            {
                _process.Kill(entireProcessTree: true);
                await _process.WaitForExitAsync();
            }
        }
        catch (InvalidOperationException)
        {
            // Already gone.
        }

        _process.Dispose();
    }
}
