using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Mvc.Testing;
using Microsoft.Extensions.DependencyInjection;
using OperatorConsole.App.Hosting;
using OperatorConsole.Infrastructure.Tenancy;

namespace OperatorConsole.Tests.Support;

/// <summary>
/// The real app (Program) on its own freshly migrated PostgreSQL database, connected as the unprivileged serving
/// role so row-level security applies exactly as in production. One per test class (IClassFixture).
/// </summary>
public class ConsoleAppFactory : WebApplicationFactory<Program>, IAsyncLifetime
{
    private readonly string? _existingDatabase;
    private readonly IReadOnlyDictionary<string, string?> _settings;

    public ConsoleAppFactory() : this(null, null) { }

    /// <summary>An app instance on an existing database (another node, or the same node after a restart); see <see cref="NodeAppFactory"/>.</summary>
    protected ConsoleAppFactory(string? existingDatabase, IReadOnlyDictionary<string, string?>? settings)
    {
        _existingDatabase = existingDatabase;
        _settings = settings ?? new Dictionary<string, string?>();
    }

    public const string PlatformKey = "test-platform-key-0123456789";

    public string Database { get; private set; } = "";
    public string AppConnectionString => TestDatabase.For(Database, TestDatabase.AppRole);
    public string OwnerConnectionString => TestDatabase.For(Database, TestDatabase.OwnerRole);

    /// <summary>Seed the documented demo workspace (users owner@demo.local etc.).</summary>
    protected virtual bool SeedDemo => false;

    /// <summary>Serve on a real Kestrel socket (browser tests) instead of the in-memory test server.</summary>
    protected virtual bool UseRealSocket => false;

    public async Task InitializeAsync()
    {
        Database = _existingDatabase ?? await TestDatabase.CreateAsync();
        if (UseRealSocket)
        {
            UseKestrel(0);
            StartServer();
        }
        else
        {
            _ = Server; // start the host now so start-up failures surface in InitializeAsync
        }
    }

    public new async Task DisposeAsync()
    {
        await base.DisposeAsync();
        if (_existingDatabase is null) await TestDatabase.DropAsync(Database);
    }

    protected override void ConfigureWebHost(IWebHostBuilder builder)
    {
        builder.UseEnvironment("Testing");
        builder.UseContentRoot(AppPaths.ContentRoot);
        builder.UseSetting("ConnectionStrings:Default", AppConnectionString);
        builder.UseSetting("ConnectionStrings:Migrations", OwnerConnectionString);
        builder.UseSetting("Database:Migrate", "false");
        builder.UseSetting("Demo:Seed", SeedDemo ? "true" : "false");
        builder.UseSetting("Platform:BootstrapApiKey", PlatformKey);
        builder.UseSetting("Meta:AppSecret", "test-meta-app-secret");
        builder.UseSetting("Meta:VerifyToken", "test-meta-verify-token");
        builder.UseSetting("TikTok:ClientSecret", "test-tiktok-client-secret");
        // Tests never reach the internet: sends are recorded unless a test points them at a local fake.
        builder.UseSetting("Outbound:Mode", "Loopback");
        builder.UseSetting("Meta:GraphBaseUrl", "http://127.0.0.1:9");
        builder.UseSetting("TikTok:ApiBaseUrl", "http://127.0.0.1:9");
        foreach (var (key, value) in _settings) builder.UseSetting(key, value);
    }

    /// <summary>Base address of the real socket (only with <see cref="UseRealSocket"/>).</summary>
    public Uri ServerAddress => new(Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.First()
        .Replace("[::]", "127.0.0.1").Replace("0.0.0.0", "127.0.0.1"));

    public ContextScopes Scopes => Services.GetRequiredService<ContextScopes>();
}

public sealed class DemoAppFactory : ConsoleAppFactory
{
    protected override bool SeedDemo => true;
}

public sealed class BrowserAppFactory : ConsoleAppFactory
{
    protected override bool SeedDemo => true;
    protected override bool UseRealSocket => true;
}

/// <summary>An app instance with its own settings, optionally on another instance's database (a second node, a restart).</summary>
public sealed class NodeAppFactory(string? existingDatabase, IReadOnlyDictionary<string, string?>? settings = null)
    : ConsoleAppFactory(existingDatabase, settings);
