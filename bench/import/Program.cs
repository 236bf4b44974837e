// CSV import benchmark: 100,000 leads (name, phone, e-mail, company) imported into one tenant the way the background
// worker does it (ContactImports.StartAsync stores the file, ContactImportRunner streams it back and stores batches),
// as the unprivileged serving role (row-level security on). Prints the elapsed time, the rows per second and the
// memory (managed heap sampled every 250 ms, and the process's peak working set). Run it with bench/import.sh.
using System.Diagnostics;
using System.Text;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Npgsql;
using OperatorConsole.Domain.Contacts;
using OperatorConsole.Infrastructure;
using OperatorConsole.Infrastructure.Data;
using OperatorConsole.Infrastructure.Leads;
using OperatorConsole.Infrastructure.Tenancy;

var admin = Arg("--admin", "");
var owner = Arg("--owner", "");
var app = Arg("--app", "");
var rows = int.Parse(Arg("--rows", "100000"));
var runs = int.Parse(Arg("--runs", "2"));

Console.WriteLine("Migrating…");
await DatabaseInitializer.MigrateAsync(owner, app);

var config = new ConfigurationBuilder().AddInMemoryCollection(new Dictionary<string, string?> { ["ConnectionStrings:Default"] = app }).Build();
// The runner's own lines (its finishing line says where the time went: reading, lookups, building, storing).
var services = new ServiceCollection().AddLogging(b => b.AddSimpleConsole(o => o.SingleLine = true)
    .AddFilter((category, level) => category == typeof(ContactImportRunner).FullName && level >= LogLevel.Information))
    .AddSingleton<IConfiguration>(config);
services.AddSingleton<Microsoft.Extensions.Hosting.IHostEnvironment>(new BenchEnvironment());
services.AddConsoleInfrastructure(config);
await using var provider = services.BuildServiceProvider();
var imports = provider.GetRequiredService<ContactImports>();
var runner = provider.GetRequiredService<ContactImportRunner>();
var scopes = provider.GetRequiredService<ContextScopes>();

for (var run = 1; run <= runs; run++)
{
    // A fresh tenant per run: every row creates a lead (the slow path: inserts, search terms, events).
    var tenantId = Guid.NewGuid();
    await using (var conn = new NpgsqlConnection(admin))
    {
        await conn.OpenAsync();
        await using var cmd = new NpgsqlCommand($"""
            INSERT INTO tenants (id, name, slug, plan, status, bot_enabled, time_zone, default_culture, created_at)
            VALUES ('{tenantId}', 'Bench Import', 'bench-import-{tenantId.ToString("N")[..8]}', 'Pro', 'Active', true, 'America/Mexico_City', 'es', now());
            -- The pipeline a provisioned workspace has: new leads land in its first open stage.
            INSERT INTO pipeline_stages (id, tenant_id, name, position, color, kind, key)
            SELECT gen_random_uuid(), '{tenantId}', d.name, d.position, '#90a4ae', d.kind, d.key
            FROM (VALUES ('new', 'Nuevo', 0, 'Open'), ('won', 'Ganado', 1, 'Won'), ('lost', 'Perdido', 2, 'Lost')) AS d(key, name, position, kind);
            """, conn);
        await cmd.ExecuteNonQueryAsync();
    }
    var csv = new StringBuilder("Nombre,Teléfono,Correo,Empresa\n");
    for (var i = 0; i < rows; i++) csv.Append($"Cliente {i},55{40000000 + i},cliente{i}@example.com,Empresa {i % 500}\n");
    var file = Encoding.UTF8.GetBytes(csv.ToString());
    csv.Clear();
    GC.Collect();
    GC.WaitForPendingFinalizers();

    long peakHeap = 0;
    var heapStart = GC.GetTotalMemory(false);
    using var sampling = new CancellationTokenSource();
    var sampler = Task.Run(async () =>
    {
        while (!sampling.IsCancellationRequested)
        {
            peakHeap = Math.Max(peakHeap, GC.GetTotalMemory(false));
            try { await Task.Delay(250, sampling.Token); } catch (OperationCanceledException) { }
        }
    });
    var clock = Stopwatch.StartNew();
    var id = await imports.StartAsync(tenantId, file, "bench.csv", null, DuplicatePolicy.Skip, "bench", CancellationToken.None);
    var queued = clock.Elapsed;
    await runner.RunAsync(tenantId, id, CancellationToken.None);
    clock.Stop();
    await sampling.CancelAsync();
    await sampler;

    await using var work = scopes.ForTenant(tenantId);
    var import = await work.Db.ContactImports.AsNoTracking().SingleAsync(i => i.Id == id);
    var stored = await work.Db.Contacts.CountAsync();
    Process.GetCurrentProcess().Refresh();
    Console.WriteLine($"run {run}: {rows:N0} rows ({file.Length / 1024.0 / 1024.0:N1} MB) in {clock.Elapsed.TotalSeconds:N1} s " +
                      $"(upload + count {queued.TotalSeconds:N1} s), {rows / clock.Elapsed.TotalSeconds:N0} rows/s; status {import.Status}, " +
                      $"created {import.Created:N0}, leads stored {stored:N0}; managed heap {heapStart / 1048576.0:N0} MB at start, " +
                      $"peak {peakHeap / 1048576.0:N0} MB; process peak working set {Process.GetCurrentProcess().PeakWorkingSet64 / 1048576.0:N0} MB");
}

string Arg(string name, string fallback)
{
    var i = Array.IndexOf(args, name);
    return i >= 0 && i + 1 < args.Length ? args[i + 1] : fallback;
}

sealed class BenchEnvironment : Microsoft.Extensions.Hosting.IHostEnvironment
{
    public string EnvironmentName { get; set; } = "Production";
    public string ApplicationName { get; set; } = "bench";
    public string ContentRootPath { get; set; } = Path.GetTempPath();
    public Microsoft.Extensions.FileProviders.IFileProvider ContentRootFileProvider { get; set; } = new Microsoft.Extensions.FileProviders.NullFileProvider();
}
