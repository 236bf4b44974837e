using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using OperatorConsole.App.Hosting;

namespace OperatorConsole.Tests.Support;

/// <summary>
/// The real app as a separate operating-system process: <c>dotnet OperatorConsole.App.dll</c> from the Release build
/// output, on its own port, configured through environment variables as in production (here: a test database and
/// the fakes' URLs). <see cref="Kill"/> is SIGKILL: nothing of the app's shutdown runs. Its output goes to a log file.
/// </summary>
public sealed class AppProcess : IAsyncDisposable
{
    private readonly IReadOnlyDictionary<string, string> _environment;
    private readonly StreamWriter _log;
    private readonly object _logLock = new();
    private Process? _process;

    private AppProcess(IReadOnlyDictionary<string, string> environment, int port, string logPath)
    {
        _environment = environment;
        Port = port;
        BaseAddress = new Uri($"http://127.0.0.1:{port}");
        LogPath = logPath;
        Directory.CreateDirectory(Path.GetDirectoryName(logPath)!);
        _log = new StreamWriter(logPath, append: false) { AutoFlush = true };
    }

    public int Port { get; }
    public Uri BaseAddress { get; }
    public string LogPath { get; }
    public int Starts { get; private set; }
    public bool Running => _process is { HasExited: false };

    /// <summary>The app as <c>./console.sh run</c> starts it: the Release build of Console.App.</summary>
    public static string AppDll => Path.Combine(AppPaths.ContentRoot, "Console.App", "bin", "Release", "net10.0", "OperatorConsole.App.dll");

    /// <summary>A process on <paramref name="database"/> (already migrated), with the test settings plus <paramref name="settings"/> (keys as in appsettings: "Outbound:Mode").</summary>
    public static AppProcess Create(string database, IReadOnlyDictionary<string, string?> settings, string logName)
    {
        if (!File.Exists(AppDll)) throw new InvalidOperationException($"{AppDll} is missing: build the solution in Release first (./console.sh test does).");
        var port = FreePort();
        var env = new Dictionary<string, string>
        {
            ["ASPNETCORE_ENVIRONMENT"] = "Testing",
            ["ASPNETCORE_URLS"] = $"http://127.0.0.1:{port}",
            ["ConnectionStrings:Default"] = TestDatabase.For(database, TestDatabase.AppRole),
            ["ConnectionStrings:Migrations"] = TestDatabase.For(database, TestDatabase.OwnerRole),
            ["Database:Migrate"] = "false",
            ["Demo:Seed"] = "false",
            ["Platform:BootstrapApiKey"] = ConsoleAppFactory.PlatformKey,
            ["Platform:PublicBaseUrl"] = $"http://127.0.0.1:{port}",
            ["Meta:AppSecret"] = "test-meta-app-secret",
            ["Meta:VerifyToken"] = "test-meta-verify-token",
            ["TikTok:ClientSecret"] = "test-tiktok-client-secret",
            ["Outbound:Mode"] = "Loopback",
            ["Meta:GraphBaseUrl"] = "http://127.0.0.1:9",
            ["TikTok:ApiBaseUrl"] = "http://127.0.0.1:9",
            ["Logging:LogLevel:Default"] = "Warning",
            // Each send a status or echo settled after a crash is one line: the crash suite counts them.
            ["Logging:LogLevel:OperatorConsole.Infrastructure.Channels.Inbound.WebhookProcessor"] = "Information",
        };
        foreach (var (key, value) in settings)
            if (value is not null) env[key] = value;
        // Environment variables name sections with "__" (':' is not portable in variable names).
        var variables = env.ToDictionary(kv => kv.Key.Replace(":", "__"), kv => kv.Value);
        var logPath = Path.Combine(AppContext.BaseDirectory, "TestResults", "processes", $"{logName}-{DateTime.UtcNow:HHmmss}.log");
        return new AppProcess(variables, port, logPath);
    }

    /// <summary>Starts the process and waits until /health/ready answers 200; returns how long that took.</summary>
    public async Task<TimeSpan> StartAsync(TimeSpan timeout)
    {
        if (Running) throw new InvalidOperationException("The app process is already running.");
        var watch = Stopwatch.StartNew();
        var info = new ProcessStartInfo("dotnet", [AppDll])
        {
            WorkingDirectory = AppPaths.ContentRoot,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        foreach (var (key, value) in _environment) info.Environment[key] = value;
        var process = new Process { StartInfo = info };
        process.OutputDataReceived += (_, e) => Write(e.Data);
        process.ErrorDataReceived += (_, e) => Write(e.Data);
        process.Start();
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        _process = process;
        Starts++;
        Write($"==== start {Starts} (pid {process.Id}) ====");

        using var http = new HttpClient { BaseAddress = BaseAddress, Timeout = TimeSpan.FromSeconds(5) };
        while (watch.Elapsed < timeout)
        {
            if (process.HasExited) throw new InvalidOperationException($"The app exited with {process.ExitCode} while starting; see {LogPath}");
            try
            {
                using var response = await http.GetAsync("/health/ready");
                if (response.StatusCode == HttpStatusCode.OK) return watch.Elapsed;
            }
            catch (Exception ex) when (ex is HttpRequestException or TaskCanceledException)
            {
                // Not listening yet.
            }
            await Task.Delay(100);
        }
        throw new TimeoutException($"The app was not ready within {timeout.TotalSeconds:0} s; see {LogPath}");
    }

    /// <summary>SIGKILL: the process stops at once, wherever it is (mid-request, mid-send, mid-commit).</summary>
    public void Kill()
    {
        if (_process is not { } process || process.HasExited) return;
        Write($"==== SIGKILL pid {process.Id} ====");
        process.Kill(entireProcessTree: false); // on Linux, Process.Kill sends SIGKILL
        process.WaitForExit();
        process.Dispose();
        _process = null;
    }

    /// <summary>Lines of the app's log (all its lives so far) that contain <paramref name="text"/>.</summary>
    public int CountInLog(string text)
    {
        lock (_logLock)
        {
            _log.Flush();
            using var reader = new StreamReader(new FileStream(LogPath, FileMode.Open, FileAccess.Read, FileShare.ReadWrite));
            var count = 0;
            while (reader.ReadLine() is { } line)
                if (line.Contains(text, StringComparison.Ordinal)) count++;
            return count;
        }
    }

    private bool _closed;

    private void Write(string? line)
    {
        if (line is null) return;
        lock (_logLock)
        {
            if (!_closed) _log.WriteLine(line);
        }
    }

    private static int FreePort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }

    public ValueTask DisposeAsync()
    {
        Kill();
        lock (_logLock)
        {
            _closed = true;
            _log.Dispose();
        }
        return ValueTask.CompletedTask;
    }
}
