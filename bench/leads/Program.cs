// Leads benchmark: the leads grid's first page (with its total) and the kanban board (every column's first cards, counts
// and values) for the screen's filter combinations, with 100,000 leads in one tenant. Run it with bench/leads.sh (a
// private PostgreSQL on port 55538). Seeds through SQL, migrates with the real migrations, then times LeadQueries
// in-process as the unprivileged serving role (row-level security on): EF Core + PostgreSQL, no HTTP and no rendering.
using System.Diagnostics;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Npgsql;
using OperatorConsole.Domain.Contacts;
using OperatorConsole.Infrastructure;
using OperatorConsole.Infrastructure.Data;
using OperatorConsole.Infrastructure.Pipeline;

var admin = Arg("--admin", "Host=127.0.0.1;Port=55538;Username=postgres;Password=postgres;Database=console_bench");
var owner = Arg("--owner", "Host=127.0.0.1;Port=55538;Username=console_owner;Password=console_owner;Database=console_bench");
var app = Arg("--app", "Host=127.0.0.1;Port=55538;Username=console_app;Password=console_app;Database=console_bench");
var leads = int.Parse(Arg("--leads", "100000"));
var iterations = int.Parse(Arg("--iterations", "40"));

Console.WriteLine("Migrating…");
await DatabaseInitializer.MigrateAsync(owner, app);

var tenantId = Guid.NewGuid();
var members = Enumerable.Range(0, 5).Select(_ => Guid.NewGuid()).ToArray();
var stages = Enumerable.Range(0, 6).Select(_ => Guid.NewGuid()).ToArray();
var seed = Stopwatch.StartNew();
Console.WriteLine($"Seeding {leads:N0} leads in one tenant (identities, a third with an owner, tags, custom fields, payment links)…");
await using (var conn = new NpgsqlConnection(admin))
{
    await conn.OpenAsync();
    var sql = $"""
        INSERT INTO tenants (id, name, slug, plan, status, bot_enabled, time_zone, default_culture, created_at)
        VALUES ('{tenantId}', 'Bench Leads', 'bench-leads-{tenantId.ToString("N")[..8]}', 'Pro', 'Active', true, 'America/Mexico_City', 'es', now());
        INSERT INTO users (id, user_name, normalized_user_name, email, normalized_email, display_name, created_at, email_confirmed,
                           phone_number_confirmed, two_factor_enabled, lockout_enabled, access_failed_count)
        SELECT m.id, 'agent' || i || '-{tenantId:N}@bench.test', upper('agent' || i || '-{tenantId:N}@bench.test'), 'agent' || i || '-{tenantId:N}@bench.test',
               upper('agent' || i || '-{tenantId:N}@bench.test'), 'Agente ' || i, now(), true, false, false, true, 0
        FROM unnest(ARRAY['{string.Join("','", members)}']::uuid[]) WITH ORDINALITY AS m(id, i);
        INSERT INTO tenant_members (id, tenant_id, user_id, role, created_at)
        SELECT m.id, '{tenantId}', m.id, CASE WHEN i = 1 THEN 'Owner' ELSE 'Agent' END, now()
        FROM unnest(ARRAY['{string.Join("','", members)}']::uuid[]) WITH ORDINALITY AS m(id, i);
        INSERT INTO channels (id, tenant_id, kind, external_id, display_name, protected_access_token, bot_enabled, status, created_at)
        VALUES (gen_random_uuid(), '{tenantId}', 'WhatsApp', '{Random.Shared.NextInt64(100000000000000, 999999999999999)}', 'WhatsApp', 'x', true, 'Active', now()),
               (gen_random_uuid(), '{tenantId}', 'Messenger', '{Random.Shared.NextInt64(100000000000000, 999999999999999)}', 'Facebook', 'x', true, 'Active', now());
        INSERT INTO pipeline_stages (id, tenant_id, name, position, color, kind, key)
        SELECT s.id, '{tenantId}', (ARRAY['Nuevo','Contactado','Calificado','Cita agendada','Ganado','Perdido'])[i], i - 1, '#90a4ae',
               (ARRAY['Open','Open','Open','Open','Won','Lost'])[i], (ARRAY['new','contacted','qualified','booked','won','lost'])[i]
        FROM unnest(ARRAY['{string.Join("','", stages)}']::uuid[]) WITH ORDINALITY AS s(id, i);

        CREATE TEMP TABLE seed AS
        SELECT n, gen_random_uuid() AS contact_id,
               (SELECT id FROM channels WHERE tenant_id = '{tenantId}' ORDER BY kind DESC LIMIT 1 OFFSET (n % 4 = 0)::int) AS channel_id,
               (ARRAY['María','José','Lucía','Carlos','Ana','Jorge','Rosa','Luis','Elena','Pedro','Sofía','Miguel'])[1 + n % 12] || ' ' ||
               (ARRAY['González','Ramírez','Fernández','Herrera','López','Martínez','Quiñones','Pérez','Sánchez','Torres','Flores','Cruz','Morales'])[1 + (n / 12) % 13]
               || ' ' || n AS name,
               '+52155' || lpad(n::text, 8, '0') AS phone,
               now() - make_interval(secs => n * 170) AS created_at
        FROM generate_series(1, {leads}) AS n;

        -- Stages weighted like a real funnel: most leads new or contacted, few won.
        INSERT INTO contacts (id, tenant_id, name, phone_e164, stage_id, score, temperature, bot_enabled, created_at, last_seen_at, fields, tags, owner_member_id)
        SELECT contact_id, '{tenantId}', name, phone,
               (ARRAY['{string.Join("','", stages)}']::uuid[])[CASE WHEN n % 20 < 7 THEN 1 WHEN n % 20 < 12 THEN 2 WHEN n % 20 < 15 THEN 3
                                                                    WHEN n % 20 < 17 THEN 4 WHEN n % 20 < 18 THEN 5 ELSE 6 END],
               n % 101, CASE WHEN n % 101 >= 70 THEN 'Hot' WHEN n % 101 >= 40 THEN 'Warm' ELSE 'Cold' END, true, created_at,
               created_at + make_interval(mins => n % 600),
               CASE WHEN n % 7 = 0 THEN jsonb_build_object('sucursal', (ARRAY['Centro','Norte','Sur'])[1 + n % 3]) ELSE jsonb_build_object() END,
               CASE WHEN n % 11 = 0 THEN ARRAY['VIP'] ELSE ARRAY[]::text[] END,
               CASE WHEN n % 3 = 0 THEN (ARRAY['{string.Join("','", members)}']::uuid[])[1 + n % 5] END
        FROM seed;
        INSERT INTO contact_identities (id, tenant_id, contact_id, channel_id, kind, value)
        SELECT gen_random_uuid(), '{tenantId}', contact_id, channel_id, 'WaId', phone FROM seed;
        INSERT INTO payment_links (id, tenant_id, contact_id, description, amount, currency, status, created_at)
        SELECT gen_random_uuid(), '{tenantId}', contact_id, 'Limpieza', 650 + n % 5 * 100, 'MXN', CASE WHEN n % 2 = 0 THEN 'Paid' ELSE 'Pending' END, created_at
        FROM seed WHERE n % 5 = 0;
        ANALYZE;
        """;
    await using var cmd = new NpgsqlCommand(sql, conn) { CommandTimeout = 1800 };
    await cmd.ExecuteNonQueryAsync();
}
await OperatorConsole.Bench.SeedVacuum.RunAsync(admin, args, "contacts", "contact_identities", "contact_filter_values", "contact_terms", "payment_links");
Console.WriteLine($"Seeded in {seed.Elapsed.TotalSeconds:N0} s.");

var config = new ConfigurationBuilder().AddInMemoryCollection(new Dictionary<string, string?> { ["ConnectionStrings:Default"] = app }).Build();
var services = new ServiceCollection().AddLogging().AddSingleton<IConfiguration>(config);
services.AddSingleton<Microsoft.Extensions.Hosting.IHostEnvironment>(new BenchEnvironment());
services.AddConsoleInfrastructure(config);
await using var provider = services.BuildServiceProvider();
var queries = provider.GetRequiredService<LeadQueries>();
var me = members[2];
var today = DateOnly.FromDateTime(DateTime.UtcNow);

var filters = new (string Name, LeadFilter Filter)[]
{
    ("Everything (score)", new LeadFilter()),
    ("Stage 'Calificado'", new LeadFilter { StageId = stages[2] }),
    ("Temperature hot", new LeadFilter { Temperature = LeadTemperature.Hot }),
    ("Owner = a member", new LeadFilter { OwnerId = members[1] }),
    ("No owner", new LeadFilter { OwnerId = Guid.Empty }),
    ("Channel Messenger", new LeadFilter { ChannelId = await ChannelAsync("Messenger") }),
    ("Created last 30 days", new LeadFilter { CreatedFrom = today.AddDays(-30) }),
    ("Active last 7 days", new LeadFilter { ActiveFrom = today.AddDays(-7) }),
    ("Field sucursal = Norte", new LeadFilter { Field = "sucursal = Norte" }),
    ("Tag VIP", new LeadFilter { Tag = "VIP" }),
    ("Search 'quiñones'", new LeadFilter { Q = "quiñones" }),
    ("Search rare 'torres 7777'", new LeadFilter { Q = "torres 77777" }),
    ("Stage + hot + owner", new LeadFilter { StageId = stages[1], Temperature = LeadTemperature.Hot, OwnerId = members[1] }),
    ("Sort by name", new LeadFilter { Sort = LeadSort.Name, Descending = false }),
    ("Sort by last activity", new LeadFilter { Sort = LeadSort.LastActivity }),
};

Console.WriteLine();
Console.WriteLine($"{leads:N0} leads in the tenant; {iterations} runs each after 3 warm-ups; times in ms.");
Console.WriteLine($"{"view / filter",-40} {"rows",6} {"total",7} {"p50",7} {"p95",7} {"max",7}");
var all = new List<double>();
foreach (var (name, filter) in filters)
{
    await Time($"Grid · {name}", async () => { var p = await queries.PageAsync(tenantId, me, filter, 0, 25); return (p.Items.Count, p.Total); });
    await Time($"Board · {name}", async () =>
    {
        var b = await queries.BoardAsync(tenantId, me, filter, 20);
        return (b.Sum(c => c.Items.Count), b.Sum(c => c.Count));
    });
}
await Time("Board · next 20 of 'Nuevo' (scroll)", async () => ((await queries.ColumnAsync(tenantId, me, new LeadFilter(), stages[0], 20, 20)).Count, 0));
all.Sort();
Console.WriteLine($"{"ALL first pages",-40} {"",6} {"",7} {Percentile(all, 50),7:N1} {Percentile(all, 95),7:N1} {all[^1],7:N1}");

async Task Time(string name, Func<Task<(int Rows, int Total)>> run)
{
    (int Rows, int Total) result = default;
    for (var i = 0; i < 3; i++) result = await run();
    var times = new List<double>();
    for (var i = 0; i < iterations; i++)
    {
        var watch = Stopwatch.StartNew();
        await run();
        times.Add(watch.Elapsed.TotalMilliseconds);
    }
    times.Sort();
    all.AddRange(times);
    Console.WriteLine($"{name,-40} {result.Rows,6} {result.Total,7} {Percentile(times, 50),7:N1} {Percentile(times, 95),7:N1} {times[^1],7:N1}");
}

async Task<Guid> ChannelAsync(string kind)
{
    await using var conn = new NpgsqlConnection(admin);
    await conn.OpenAsync();
    await using var cmd = new NpgsqlCommand($"SELECT id FROM channels WHERE tenant_id = '{tenantId}' AND kind = '{kind}'", conn);
    return (Guid)(await cmd.ExecuteScalarAsync())!;
}

static double Percentile(List<double> sorted, int p) => sorted[Math.Clamp((int)Math.Ceiling(p / 100.0 * sorted.Count) - 1, 0, sorted.Count - 1)];

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
