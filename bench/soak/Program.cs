// Soak: the real app (its own process, Release) under a steady signed webhook load for a long time, the agent answering
// on the instant fake model. Run it with bench/soak.sh (private PostgreSQL, the app, then this). Prints one line per
// minute (accepted, ingest p50/p99, replies sent, app RSS and GC heap, app CPU, database connections, backlogs), then
// whether memory and latency stayed flat (first vs last minutes, slope) and whether anything was lost.
using System.Collections.Concurrent;
using System.Diagnostics;
using System.Net.Http.Headers;
using Npgsql;
using OperatorConsole.Bench;

var url = new Uri(Arg("--url", "http://127.0.0.1:5296/"));
var ownerDb = Arg("--db", "");
var pid = int.Parse(Arg("--pid", "0"));
// The PostgreSQL cluster's postmaster (bench/soak.sh reads it from postmaster.pid): its CPU and its backends'.
var pgPid = int.Parse(Arg("--pg-pid", "0"));
var minutes = double.Parse(Arg("--minutes", "30"), System.Globalization.CultureInfo.InvariantCulture);
var rate = int.Parse(Arg("--rate", "300"));
var tenantCount = int.Parse(Arg("--tenants", "4"));
var customers = int.Parse(Arg("--customers", "20000"));
// A customer writes a few messages in a row (a burst the agent answers once, after its buffer), then comes back later.
var burst = int.Parse(Arg("--burst", "3"));
var llmPort = int.Parse(Arg("--llm-port", "5297"));
var secret = Arg("--secret", "bench-meta-secret");
var metricsToken = Arg("--metrics-token", "bench-metrics");
var drainMinutes = double.Parse(Arg("--drain-minutes", "5"), System.Globalization.CultureInfo.InvariantCulture);

// The generator shares the cores with the app: enough pool threads that its own continuations do not queue and count
// as the app's latency.
ThreadPool.SetMinThreads(64, 64);
await using var model = await FakeModel.StartAsync(llmPort);
var platform = new HttpClient { BaseAddress = url, Timeout = TimeSpan.FromSeconds(60) };
platform.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", "bench-platform-key");
var run = Guid.NewGuid().ToString("N")[..6];
var tenants = new List<BenchTenant>();
for (var i = 0; i < tenantCount; i++) tenants.Add(await BenchTenant.CreateAsync(platform, $"soak-{run}-{i}", "enterprise", agentBufferSeconds: 1));
var tenantIds = tenants.Select(t => t.Id).ToArray();
var probe = new AppProbe(pid, platform, metricsToken);

var http = new HttpClient(new SocketsHttpHandler { MaxConnectionsPerServer = 512, PooledConnectionLifetime = TimeSpan.FromMinutes(60) })
{ BaseAddress = url, Timeout = TimeSpan.FromSeconds(30) };

var total = (long)(rate * minutes * 60);
var accepted = new ConcurrentDictionary<string, byte>();
var latencies = new ConcurrentQueue<double>();
long acceptedCount = 0, refused = 0, givenUp = 0, inFlight = 0;
var customersWritten = new ConcurrentDictionary<int, byte>();

async Task SendAsync(long n)
{
    var c = (int)(n / burst % customers);
    var tenant = tenants[c % tenants.Count];
    var wamid = $"wamid.SOAK{run}{n}";
    var body = WhatsApp.TextBody(tenant.PhoneNumberId, "5216" + (100000000 + c), wamid, $"Hola, ¿tienen cita? #{n}", "Cliente " + c);
    // Meta's retries: a refusal or a timeout is sent again, up to five times, 1, 2, 4, 8 s later.
    for (var attempt = 0; attempt < 5; attempt++)
    {
        if (attempt > 0) await Task.Delay(TimeSpan.FromSeconds(1 << (attempt - 1)));
        var sw = Stopwatch.StartNew();
        try
        {
            using var request = WhatsApp.SignedPost(body, secret);
            using var response = await http.SendAsync(request);
            if (response.IsSuccessStatusCode)
            {
                latencies.Enqueue(sw.Elapsed.TotalMilliseconds);
                accepted.TryAdd(wamid, 0);
                customersWritten.TryAdd(c, 0);
                Interlocked.Increment(ref acceptedCount);
                return;
            }
        }
        catch (Exception e) when (e is HttpRequestException or TaskCanceledException) { }
        Interlocked.Increment(ref refused);
    }
    Interlocked.Increment(ref givenUp);
}

async Task<NpgsqlConnection> OpenAsync()
{
    var conn = new NpgsqlConnection(ownerDb);
    await conn.OpenAsync();
    // The owner role is subject to the forced row-level security too: read as the platform.
    await using var cmd = new NpgsqlCommand("SET app.platform = 'on'", conn);
    await cmd.ExecuteNonQueryAsync();
    return conn;
}

// Counted on the bench's own tenants (replies: bot messages the channel took; backlogs as the command center counts them).
async Task<Db> ReadDbAsync()
{
    await using var conn = await OpenAsync();
    await using var cmd = new NpgsqlCommand("""
        SELECT
          (SELECT count(*) FROM messages WHERE tenant_id = ANY(@t) AND direction = 'Inbound'),
          (SELECT count(*) FROM messages WHERE tenant_id = ANY(@t) AND sender = 'Bot' AND status NOT IN ('Queued', 'Failed')),
          (SELECT count(*) FROM webhook_deliveries WHERE state = 'Pending'),
          (SELECT count(*) FROM conversations WHERE tenant_id = ANY(@t) AND agent_due_at IS NOT NULL AND agent_due_at <= now()),
          (SELECT count(*) FROM conversations WHERE tenant_id = ANY(@t) AND agent_due_at IS NOT NULL),
          (SELECT count(*) FROM messages WHERE tenant_id = ANY(@t) AND direction = 'Outbound' AND status = 'Queued' AND external_id IS NULL),
          (SELECT count(*) FROM pg_stat_activity WHERE datname = current_database()) - 1
        """, conn);
    cmd.Parameters.AddWithValue("t", tenantIds);
    await using var r = await cmd.ExecuteReaderAsync();
    await r.ReadAsync();
    return new Db(r.GetInt64(0), r.GetInt64(1), r.GetInt64(2), r.GetInt64(3), r.GetInt64(4), r.GetInt64(5), r.GetInt64(6));
}

const string GcHeap = "dotnet_gc_last_collection_heap_size_bytes";
Console.WriteLine($"Soak — {DateTimeOffset.UtcNow:yyyy-MM-dd HH:mm} UTC, {Environment.ProcessorCount} cores, {rate} msg/s for {minutes:0.#} min ({total:N0} signed deliveries), " +
                  $"{customers:N0} customers in {tenantCount} workspaces, bursts of {burst} (one agent turn each), instant fake model, app pid {pid}");
Console.WriteLine("min | accepted  msg/s | ingest p50   p99 ms | refused | inbound stored | replies sent | RSS MB | GC heap MB | app CPU % | app CPU wait % | PG CPU % | DB conns | backlog: inbox turns sends | in flight | machine load");
var rows = new List<Row>();
var clock = Stopwatch.StartNew();
var lastCpu = probe.CpuSeconds();
var lastWait = probe.RunQueueWaitSeconds();
var lastPgCpu = pgPid > 0 ? ProcessCpu.TreeSeconds(pgPid) : 0;
long lastAccepted = 0, lastRefused = 0, lastInbound = 0, lastReplies = 0;
var lastTick = TimeSpan.Zero;

async Task<Row> MinuteAsync(int minute)
{
    var now = clock.Elapsed;
    var lat = new List<double>();
    while (latencies.TryDequeue(out var l)) lat.Add(l);
    lat.Sort();
    var db = await ReadDbAsync();
    var metrics = await probe.MetricsAsync(GcHeap);
    var cpu = probe.CpuSeconds();
    var wait = probe.RunQueueWaitSeconds();
    var pgCpu = pgPid > 0 ? ProcessCpu.TreeSeconds(pgPid) : 0;
    var seconds = (now - lastTick).TotalSeconds;
    var acc = Interlocked.Read(ref acceptedCount);
    var row = new Row(minute, (acc - lastAccepted) / seconds, Stats.Pct(lat, 50), Stats.Pct(lat, 99), Interlocked.Read(ref refused) - lastRefused,
        db.Inbound - lastInbound, db.Replies - lastReplies, probe.RssBytes() / 1048576.0, metrics[GcHeap] / 1048576.0, (cpu - lastCpu) / seconds * 100, (wait - lastWait) / seconds * 100,
        (pgCpu - lastPgCpu) / seconds * 100, db.Connections, db.Pending, db.TurnsDue, db.Sends, Interlocked.Read(ref inFlight));
    (lastAccepted, lastRefused, lastInbound, lastReplies, lastCpu, lastWait, lastPgCpu, lastTick) = (acc, Interlocked.Read(ref refused), db.Inbound, db.Replies, cpu, wait, pgCpu, now);
    Console.WriteLine($"{row.Minute,3} | {acc,8:N0} {row.AcceptedPerSecond,6:F0} | {row.P50,9:F1} {row.P99,7:F1} | {row.Refused,7} | {row.Inbound,14:N0} | {row.Replies,12:N0} | {row.RssMb,6:F0} | {row.GcHeapMb,10:F0} | {row.CpuPercent,9:F0} | {row.CpuWaitPercent,14:F0} | {row.PgCpuPercent,8:F0} | {row.Connections,8} | {row.Pending,13} {row.TurnsDue,5} {row.Sends,5} | {row.InFlight,9} | {File.ReadAllText("/proc/loadavg").Split(' ')[0]}");
    return row;
}

// The load: an open loop at a fixed rate (a send is due every 1/rate s whether or not earlier ones were answered).
var load = Task.Run(async () =>
{
    var sends = new List<Task>();
    long n = 0;
    while (n < total)
    {
        var due = Math.Min(total, (long)(clock.Elapsed.TotalSeconds * rate));
        for (; n < due; n++)
        {
            Interlocked.Increment(ref inFlight);
            sends.Add(SendAsync(n).ContinueWith(_ => Interlocked.Decrement(ref inFlight), TaskScheduler.Default));
        }
        if (sends.Count > 10_000) sends.RemoveAll(t => t.IsCompleted);
        await Task.Delay(5);
    }
    await Task.WhenAll(sends);
});

var minute = 0;
while (!load.IsCompleted)
{
    var next = TimeSpan.FromMinutes(minute + 1);
    var wait = next - clock.Elapsed;
    if (await Task.WhenAny(load, Task.Delay(wait > TimeSpan.Zero ? wait : TimeSpan.Zero)) == load && clock.Elapsed < next - TimeSpan.FromSeconds(5)) break;
    rows.Add(await MinuteAsync(++minute));
}
await load;
var loadSeconds = clock.Elapsed.TotalSeconds;

// Drain: the last deliveries processed, the last bursts' turns answered and sent.
var drainClock = Stopwatch.StartNew();
Db final;
while (true)
{
    final = await ReadDbAsync();
    if (final.Pending == 0 && final.TurnsScheduled == 0 && final.Sends == 0) break;
    if (drainClock.Elapsed > TimeSpan.FromMinutes(drainMinutes)) break;
    await Task.Delay(500);
}
var drained = drainClock.Elapsed;
await Task.Delay(TimeSpan.FromSeconds(3)); // a second reply would show up here

// Every accepted delivery stored, once; every customer answered after their last message.
// An accepted delivery not processed yet is not lost: it is durable in the webhook inbox (the drain ran out of time).
// Read before the messages: a delivery processed between the two reads is then found in the second, never in neither.
var held = new HashSet<string>();
await using (var conn = await OpenAsync())
await using (var cmd = new NpgsqlCommand("SELECT body FROM webhook_deliveries WHERE state <> 'Processed'", conn))
await using (var r = await cmd.ExecuteReaderAsync())
{
    var pattern = new System.Text.RegularExpressions.Regex($"wamid\\.SOAK{run}\\d+");
    while (await r.ReadAsync())
        foreach (System.Text.RegularExpressions.Match m in pattern.Matches(System.Text.Encoding.UTF8.GetString((byte[])r[0]))) held.Add(m.Value);
}
var stored = new HashSet<string>();
long storedRows = 0, conversations, withReply, unanswered;
await using (var conn = await OpenAsync())
{
    await using (var cmd = new NpgsqlCommand("SELECT external_id FROM messages WHERE tenant_id = ANY(@t) AND direction = 'Inbound'", conn))
    {
        cmd.Parameters.AddWithValue("t", tenantIds);
        await using var r = await cmd.ExecuteReaderAsync();
        while (await r.ReadAsync())
        {
            storedRows++;
            if (!r.IsDBNull(0)) stored.Add(r.GetString(0));
        }
    }
    await using (var cmd = new NpgsqlCommand("""
        SELECT count(*), count(*) FILTER (WHERE bot_last IS NOT NULL), count(*) FILTER (WHERE bot_last IS NULL OR bot_last < in_last)
        FROM (SELECT max(created_at) FILTER (WHERE direction = 'Inbound') AS in_last,
                     max(created_at) FILTER (WHERE sender = 'Bot' AND status NOT IN ('Queued', 'Failed')) AS bot_last
              FROM messages WHERE tenant_id = ANY(@t) GROUP BY conversation_id) x
        """, conn))
    {
        cmd.Parameters.AddWithValue("t", tenantIds);
        await using var r = await cmd.ExecuteReaderAsync();
        await r.ReadAsync();
        (conversations, withReply, unanswered) = (r.GetInt64(0), r.GetInt64(1), r.GetInt64(2));
    }
}
var notProcessed = accepted.Keys.Count(k => !stored.Contains(k) && held.Contains(k));
var lost = accepted.Keys.Count(k => !stored.Contains(k) && !held.Contains(k));
var duplicated = storedRows - stored.Count;

Console.WriteLine();
Console.WriteLine($"load: {Interlocked.Read(ref acceptedCount):N0} of {total:N0} deliveries accepted in {loadSeconds:F0} s ({Interlocked.Read(ref acceptedCount) / loadSeconds:F0} msg/s; target {rate}), " +
                  $"{Interlocked.Read(ref refused):N0} refused or timed out and retried, {Interlocked.Read(ref givenUp):N0} given up after 5 tries");
Console.WriteLine($"drain after the load: {drained.TotalSeconds:F1} s (inbox {final.Pending}, turns scheduled {final.TurnsScheduled}, sends {final.Sends} left)");
Console.WriteLine($"replies: {final.Replies:N0} sent for {customersWritten.Count:N0} customers; LLM reply calls {model.ReplyCalls:N0}");

// Flat or not: minute 1 is the warm-up (JIT, pools, new contacts); the first window starts at minute 2.
var steady = rows.Skip(1).ToList();
var window = Math.Clamp(steady.Count / 2, 1, 5);
bool flat = true;
if (steady.Count >= 2)
{
    var first = steady.Take(window).ToList();
    var last = steady.TakeLast(window).ToList();
    var x = steady.Select(r => (double)r.Minute).ToList();
    // A figure is flat when its last window is at most allowedRise worse than its first and its slope at most allowedSlope worse per minute
    // (worse = higher, or lower for a throughput).
    void Judge(string what, Func<Row, double> f, string unit, double allowedRise, double allowedSlope, bool lowerIsWorse = false)
    {
        double a = first.Average(f), b = last.Average(f), slope = Stats.Slope(x, steady.Select(f).ToList());
        var sign = lowerIsWorse ? -1 : 1;
        var ok = sign * (b - a) <= allowedRise && sign * slope <= allowedSlope;
        flat &= ok;
        Console.WriteLine($"{what,-16} first {window} min {a,8:F1} {unit} | last {window} min {b,8:F1} {unit} | slope {slope,8:F2} {unit}/min | {(ok ? "flat" : "NOT FLAT")} (allowed {(lowerIsWorse ? "fall" : "rise")} {allowedRise} {unit}, slope {allowedSlope} {unit}/min)");
    }
    Console.WriteLine($"Flat (minutes 2–{steady[^1].Minute}; minute 1 is the warm-up):");
    Judge("app RSS", r => r.RssMb, "MB", 64, 4);
    Judge("GC heap", r => r.GcHeapMb, "MB", 32, 2);
    Judge("ingest p99", r => r.P99, "ms", 50, 5);
    Judge("backlog (inbox)", r => r.Pending, "items", 500, 50);
    Judge("backlog (turns)", r => r.TurnsDue, "items", 500, 50);
    Judge("accepted", r => r.AcceptedPerSecond, "msg/s", rate * 0.05, rate * 0.01, lowerIsWorse: true);
}
else Console.WriteLine("Flat: too short to judge (needs at least 3 minutes)");
if (steady.Count < 4) Console.WriteLine("(a window of one or two minutes says little about a slope: the verdict means something from about 10 minutes)");
Console.WriteLine($"lost: {lost} of {accepted.Count:N0} accepted deliveries neither stored as a message nor waiting in the webhook inbox " +
                  $"({notProcessed:N0} still waiting there, not processed when the drain ended); duplicated: {duplicated}; " +
                  $"customers: {conversations:N0} conversations, {withReply:N0} with a reply, {unanswered} whose last message has no reply after it");
Console.WriteLine(lost == 0 && duplicated == 0 ? "0 lost: yes" : "0 lost: NO");
var answered = notProcessed == 0 && unanswered == 0 && conversations == customersWritten.Count;
Console.WriteLine(answered ? "every customer answered: yes" : "every customer answered: NO");
return lost == 0 && duplicated == 0 && answered && flat ? 0 : 1;

string Arg(string name, string fallback) => BenchArgs.Get(args, name, fallback);

sealed record Db(long Inbound, long Replies, long Pending, long TurnsDue, long TurnsScheduled, long Sends, long Connections);
sealed record Row(int Minute, double AcceptedPerSecond, double P50, double P99, long Refused, long Inbound, long Replies, double RssMb, double GcHeapMb,
    double CpuPercent, double CpuWaitPercent, double PgCpuPercent, long Connections, long Pending, long TurnsDue, long Sends, long InFlight);
