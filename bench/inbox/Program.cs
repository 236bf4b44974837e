// Inbox benchmark: the conversation list's first page for every tab, and searches, with 100,000 conversations in
// one tenant. Run it with bench/inbox.sh (a private PostgreSQL on port 55536). Seeds through SQL, migrates with the
// real migrations, then times InboxQueries in-process as the unprivileged serving role (row-level security on), so
// the figure is the server's time for the query: EF Core + PostgreSQL, no HTTP and no rendering.
using System.Diagnostics;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Npgsql;
using OperatorConsole.Infrastructure;
using OperatorConsole.Infrastructure.Data;
using OperatorConsole.Infrastructure.Inbox;

var admin = Arg("--admin", "Host=127.0.0.1;Port=55536;Username=postgres;Password=postgres;Database=console_bench");
var owner = Arg("--owner", "Host=127.0.0.1;Port=55536;Username=console_owner;Password=console_owner;Database=console_bench");
var app = Arg("--app", "Host=127.0.0.1;Port=55536;Username=console_app;Password=console_app;Database=console_bench");
var conversations = int.Parse(Arg("--conversations", "100000"));
var iterations = int.Parse(Arg("--iterations", "40"));

Console.WriteLine($"Migrating…");
await DatabaseInitializer.MigrateAsync(owner, app);

var tenantId = Guid.NewGuid();
var members = Enumerable.Range(0, 5).Select(_ => Guid.NewGuid()).ToArray();
var seed = Stopwatch.StartNew();
Console.WriteLine($"Seeding {conversations:N0} conversations (contacts, 3 messages each) in one tenant…");
await using (var conn = new NpgsqlConnection(admin))
{
    await conn.OpenAsync();
    var sql = $"""
        INSERT INTO tenants (id, name, slug, plan, status, bot_enabled, time_zone, default_culture, created_at)
        VALUES ('{tenantId}', 'Bench Inbox', 'bench-inbox-{tenantId.ToString("N")[..8]}', 'Pro', 'Active', true, 'America/Mexico_City', 'es', now());
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

        CREATE TEMP TABLE seed AS
        SELECT n,
               gen_random_uuid() AS contact_id,
               gen_random_uuid() AS conversation_id,
               (SELECT id FROM channels WHERE tenant_id = '{tenantId}' ORDER BY kind DESC LIMIT 1 OFFSET (n % 4 = 0)::int) AS channel_id,
               (ARRAY['María','José','Lucía','Carlos','Ana','Jorge','Rosa','Luis','Elena','Pedro','Sofía','Miguel'])[1 + n % 12] || ' ' ||
               (ARRAY['González','Ramírez','Fernández','Herrera','López','Martínez','Quiñones','Pérez','Sánchez','Torres','Flores','Cruz','Morales'])[1 + (n / 12) % 13]
               || ' ' || n AS name,
               '+52155' || lpad(n::text, 8, '0') AS phone,
               now() - make_interval(secs => n * 17) AS last_at
        FROM generate_series(1, {conversations}) AS n;

        INSERT INTO pipeline_stages (id, tenant_id, name, position, color, kind, key)
        SELECT gen_random_uuid(), '{tenantId}', s.name, s.i - 1, '#90a4ae', s.kind, s.key
        FROM unnest(ARRAY['Nuevo','Contactado','Calificado','Cita agendada','Ganado','Perdido'], ARRAY['Open','Open','Open','Open','Won','Lost'],
                    ARRAY['new','contacted','qualified','booked','won','lost']) WITH ORDINALITY AS s(name, kind, key, i);
        INSERT INTO contacts (id, tenant_id, name, phone_e164, stage_id, score, temperature, bot_enabled, created_at, fields)
        SELECT contact_id, '{tenantId}', name, phone,
               (SELECT id FROM pipeline_stages WHERE tenant_id = '{tenantId}' AND position = n % 6),
               n % 101, CASE WHEN n % 101 >= 70 THEN 'Hot' WHEN n % 101 >= 40 THEN 'Warm' ELSE 'Cold' END, true, last_at - interval '1 day', jsonb_build_object()
        FROM seed;

        -- 60 % resolved history; of the rest most are the bot's, some an agent's, 10 % waiting for a human with an SLA.
        INSERT INTO conversations (id, tenant_id, channel_id, contact_id, status, owner, assigned_member_id, handoff_reason, priority, sla_due_at,
                                   customer_window_expires_at, unread_count, last_message_at, last_message_preview, created_at, resolved_at)
        SELECT conversation_id, '{tenantId}', channel_id, contact_id,
               CASE WHEN n % 10 < 6 THEN 'Resolved' WHEN n % 20 = 13 THEN 'Snoozed' ELSE 'Open' END,
               CASE WHEN n % 10 = 7 THEN 'Unassigned' WHEN n % 10 IN (8, 9) THEN 'Human' ELSE 'Bot' END,
               CASE WHEN n % 10 IN (8, 9) THEN (ARRAY['{string.Join("','", members)}']::uuid[])[1 + n % 5] END,
               CASE WHEN n % 10 = 7 THEN 'UserRequested' END,
               CASE WHEN n % 10 = 7 THEN (ARRAY['Normal','Urgent','Critical'])[1 + n % 3] END,
               CASE WHEN n % 10 = 7 THEN now() + make_interval(mins => n % 15) END,
               last_at + interval '24 hours', n % 3, last_at,
               'Mensaje número ' || n, last_at - interval '1 hour',
               CASE WHEN n % 10 < 6 THEN last_at END
        FROM seed;

        INSERT INTO messages (id, tenant_id, conversation_id, channel_id, direction, sender, type, body, external_id, status, sent_at, created_at, attempts)
        SELECT gen_random_uuid(), '{tenantId}', conversation_id, channel_id,
               CASE WHEN k = 2 THEN 'Outbound' ELSE 'Inbound' END, CASE WHEN k = 2 THEN 'Bot' ELSE 'Contact' END, 'Text',
               CASE k
                 WHEN 1 THEN 'Hola, quisiera información sobre ' || (ARRAY['limpieza','blanqueamiento','ortodoncia','implantes','resinas','extracción','carillas','endodoncia'])[1 + n % 8] || ' para ' || n
                 WHEN 2 THEN 'Con gusto. El precio depende de la valoración; ¿le agendo una cita esta semana?'
                 ELSE 'Mensaje número ' || n END,
               'wamid.bench.' || n || '.' || k, CASE WHEN k = 2 THEN 'Read' ELSE 'Received' END,
               last_at - make_interval(mins => (3 - k) * 2), last_at - make_interval(mins => (3 - k) * 2), 0
        FROM seed, generate_series(1, 3) AS k;
        ANALYZE;
        """;
    await using var cmd = new NpgsqlCommand(sql, conn) { CommandTimeout = 1800 };
    await cmd.ExecuteNonQueryAsync();
}
await OperatorConsole.Bench.SeedVacuum.RunAsync(admin, args, "contacts", "conversations", "messages", "conversation_terms", "contact_terms");
Console.WriteLine($"Seeded in {seed.Elapsed.TotalSeconds:N0} s.");

var config = new ConfigurationBuilder().AddInMemoryCollection(new Dictionary<string, string?>
{
    ["ConnectionStrings:Default"] = app,
}).Build();
var services = new ServiceCollection().AddLogging().AddSingleton<IConfiguration>(config);
services.AddSingleton<Microsoft.Extensions.Hosting.IHostEnvironment>(new BenchEnvironment());
services.AddConsoleInfrastructure(config);
await using var provider = services.BuildServiceProvider();
var inbox = provider.GetRequiredService<InboxQueries>();
var me = members[3]; // one of the agents conversations are assigned to

var scenarios = new (string Name, InboxFilter Filter)[]
{
    ("All", new InboxFilter(InboxTab.All)),
    ("Mine", new InboxFilter(InboxTab.Mine)),
    ("Needs a human", new InboxFilter(InboxTab.NeedsHuman)),
    ("Unassigned", new InboxFilter(InboxTab.Unassigned)),
    ("Bot", new InboxFilter(InboxTab.Bot)),
    ("All, status Open, Hot", new InboxFilter(InboxTab.All, Status: OperatorConsole.Domain.Conversations.ConversationStatus.Open,
        Temperature: OperatorConsole.Domain.Contacts.LeadTemperature.Hot)),
    ("Search name 'quiñones'", new InboxFilter(InboxTab.All, Search: "quiñones")),
    ("Search phone '0004242'", new InboxFilter(InboxTab.All, Search: "0004242")),
    ("Search text 'ortodoncia'", new InboxFilter(InboxTab.All, Search: "ortodoncia")),
    ("Search text, rare 'para 77777'", new InboxFilter(InboxTab.All, Search: "para 77777")),
};

Console.WriteLine();
Console.WriteLine($"First page (50 rows) with {conversations:N0} conversations in the tenant, {iterations} runs each after 3 warm-ups:");
Console.WriteLine($"{"query",-34} {"rows",5} {"p50 ms",8} {"p95 ms",8} {"max ms",8}");
foreach (var (name, filter) in scenarios)
{
    var rows = 0;
    for (var i = 0; i < 3; i++) rows = (await inbox.ListAsync(tenantId, me, filter)).Items.Count;
    var times = new List<double>();
    for (var i = 0; i < iterations; i++)
    {
        var watch = Stopwatch.StartNew();
        await inbox.ListAsync(tenantId, me, filter);
        times.Add(watch.Elapsed.TotalMilliseconds);
    }
    times.Sort();
    Console.WriteLine($"{name,-34} {rows,5} {Percentile(times, 50),8:N1} {Percentile(times, 95),8:N1} {times[^1],8:N1}");
}

// The second page through a cursor costs the same as the first: keyset, not OFFSET.
var first = await inbox.ListAsync(tenantId, me, new InboxFilter(InboxTab.All));
var pageTimes = new List<double>();
for (var i = 0; i < iterations; i++)
{
    var watch = Stopwatch.StartNew();
    await inbox.ListAsync(tenantId, me, new InboxFilter(InboxTab.All), first.NextCursor);
    pageTimes.Add(watch.Elapsed.TotalMilliseconds);
}
pageTimes.Sort();
Console.WriteLine($"{"All, second page (cursor)",-34} {50,5} {Percentile(pageTimes, 50),8:N1} {Percentile(pageTimes, 95),8:N1} {pageTimes[^1],8:N1}");

var countTimes = new List<double>();
for (var i = 0; i < iterations; i++)
{
    var watch = Stopwatch.StartNew();
    await inbox.CountNeedingHumanAsync(tenantId);
    countTimes.Add(watch.Elapsed.TotalMilliseconds);
}
countTimes.Sort();
Console.WriteLine($"{"Needs-a-human count (tab badge)",-34} {"",5} {Percentile(countTimes, 50),8:N1} {Percentile(countTimes, 95),8:N1} {countTimes[^1],8:N1}");

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
