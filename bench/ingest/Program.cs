// Ingest benchmark: signed single-message WhatsApp webhooks against the real app on local PostgreSQL.
// Run it with bench/ingest.sh (starts PostgreSQL and the app, then this). Prints accept throughput, latency
// percentiles, the same for the ceiling endpoint, the processing drain, and the lost/duplicated count.
using System.Diagnostics;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Text;
using System.Text.Json;
using Npgsql;
using OperatorConsole.Infrastructure.Channels.Inbound;

var url = new Uri(Arg("--url", "http://127.0.0.1:5099/"));
var ownerDb = Arg("--db", "");
var secret = Arg("--secret", "bench-meta-secret");
var platformKey = Arg("--key", "bench-platform-key");
var total = int.Parse(Arg("--messages", "20000"));
var concurrency = int.Parse(Arg("--concurrency", "64"));
var rate = int.Parse(Arg("--rate", "500"));
var rateSeconds = int.Parse(Arg("--rate-seconds", "10"));
// --paced-only: the warm-up and the paced phase alone (with Webhooks__Workers=0 it shows what answering costs when no
// processing shares the CPU; --paced-path bench/ceiling for the ceiling endpoint); nothing is counted then.
// --no-analyze: skip the ANALYZE after the saturation phase (see below).
var pacedOnly = args.Contains("--paced-only");

// The generator shares two cores with the app: with one pool thread per core, its own continuations (answers
// arriving, the next paced send) would queue behind each other and count as the app's latency.
ThreadPool.SetMinThreads(32, 32);
// The Graph API's answer to the channel ownership check (GET /{version}/{phone number id}?fields=id): Production asks it.
var graph = new System.Net.HttpListener();
graph.Prefixes.Add("http://127.0.0.1:5098/");
graph.Start();
_ = Task.Run(async () =>
{
    while (graph.IsListening)
    {
        var ctx = await graph.GetContextAsync();
        var id = ctx.Request.Url!.AbsolutePath.TrimEnd('/').Split('/')[^1];
        var answer = Encoding.UTF8.GetBytes(JsonSerializer.Serialize(new { id }));
        ctx.Response.ContentType = "application/json";
        await ctx.Response.OutputStream.WriteAsync(answer);
        ctx.Response.Close();
    }
});

var http = new HttpClient(new SocketsHttpHandler { MaxConnectionsPerServer = concurrency * 2, PooledConnectionLifetime = TimeSpan.FromMinutes(10) })
{ BaseAddress = url, Timeout = TimeSpan.FromSeconds(30) };
http.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", platformKey);

// Its own tenant and WhatsApp number, so repeated runs never mix.
var slug = "bench-" + Guid.NewGuid().ToString("N")[..8];
var created = await http.PostAsJsonAsync("api/v1/tenants", new { name = "Bench " + slug, slug, plan = "enterprise", ownerEmail = $"{slug}@bench.test", ownerPassword = "Bench!Pass1" });
created.EnsureSuccessStatusCode();
var tenantId = (await created.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("id").GetGuid();
var phoneNumberId = Random.Shared.NextInt64(100000000000000, 999999999999999).ToString();
(await http.PostAsJsonAsync($"api/v1/tenants/{tenantId}/channels", new { kind = "whatsapp", externalId = phoneNumberId, accessToken = "bench" })).EnsureSuccessStatusCode();

await using (var conn = new NpgsqlConnection(ownerDb))
{
    await conn.OpenAsync();
    await using var cmd = new NpgsqlCommand(
        "CREATE TABLE IF NOT EXISTS bench_ceiling (id uuid PRIMARY KEY, body bytea NOT NULL); GRANT INSERT ON bench_ceiling TO console_app; TRUNCATE bench_ceiling;", conn);
    await cmd.ExecuteNonQueryAsync();
}

var sequence = 0;
byte[] NewBody()
{
    var n = Interlocked.Increment(ref sequence);
    var waId = "52155" + (10000000 + n % 5000).ToString(); // 5,000 customers writing repeatedly
    return Encoding.UTF8.GetBytes(JsonSerializer.Serialize(new
    {
        @object = "whatsapp_business_account",
        entry = new[] { new { id = "WABA", changes = new[] { new { field = "messages", value = new {
            messaging_product = "whatsapp",
            metadata = new { display_phone_number = "15550000000", phone_number_id = phoneNumberId },
            contacts = new[] { new { profile = new { name = "Cliente " + n % 5000 }, wa_id = waId } },
            messages = new[] { new { from = waId, id = $"wamid.BENCH{slug}{n}", timestamp = DateTimeOffset.UtcNow.ToUnixTimeSeconds().ToString(), type = "text", text = new { body = "Hola, ¿precio? #" + n } } },
        } } } } },
    }));
}

// Bodies are built and signed before a phase starts, so the load generator (on the same two cores) spends the phase
// sending, not serializing JSON and computing HMACs.
Signed Sign(byte[] body) => new(body, WebhookSignatures.SignMeta(body, secret));

async Task<double> PostAsync(string path, Signed signed)
{
    using var request = new HttpRequestMessage(HttpMethod.Post, path) { Content = new ByteArrayContent(signed.Body) };
    request.Content.Headers.ContentType = new MediaTypeHeaderValue("application/json");
    request.Headers.Add("X-Hub-Signature-256", signed.Signature);
    var sw = Stopwatch.StartNew();
    using var response = await http.SendAsync(request);
    if (!response.IsSuccessStatusCode) throw new InvalidOperationException($"{path} answered {(int)response.StatusCode}");
    return sw.Elapsed.TotalMilliseconds;
}

var uniqueSent = 0;
var duplicatesSent = 0;

// Closed loop at saturation: `concurrency` senders back to back. Every 10th request re-sends the body sent five
// requests earlier (a Meta retry).
async Task<(double PerSecond, double[] Latencies)> SaturateAsync(string path, int count, bool trackUnique)
{
    var plan = new Signed[count];
    for (var i = 0; i < count; i++)
    {
        var duplicate = i % 10 == 9 && i >= 5;
        plan[i] = duplicate ? plan[i - 5] : Sign(NewBody());
        if (trackUnique)
        {
            if (duplicate) duplicatesSent++;
            else uniqueSent++;
        }
    }
    var latencies = new double[count];
    var next = -1;
    var sw = Stopwatch.StartNew();
    await Task.WhenAll(Enumerable.Range(0, concurrency).Select(async _ =>
    {
        int i;
        while ((i = Interlocked.Increment(ref next)) < count) latencies[i] = await PostAsync(path, plan[i]);
    }));
    return (count / sw.Elapsed.TotalSeconds, latencies);
}

// Open loop at a fixed rate: latency when the app is not saturated.
async Task<double[]> AtRateAsync(string path, int perSecond, int seconds)
{
    var count = perSecond * seconds;
    var plan = Enumerable.Range(0, count).Select(_ => Sign(NewBody())).ToArray();
    uniqueSent += count;
    var latencies = new double[count];
    var pausedBefore = GC.GetTotalPauseDuration();
    var gcBefore = (GC.CollectionCount(0), GC.CollectionCount(1), GC.CollectionCount(2));
    var start = Stopwatch.StartNew();
    var tasks = new List<Task>(count);
    for (var i = 0; i < count; i++)
    {
        var due = TimeSpan.FromSeconds((double)i / perSecond);
        var wait = due - start.Elapsed;
        if (wait > TimeSpan.Zero) await Task.Delay(wait);
        var index = i;
        tasks.Add(Task.Run(async () => latencies[index] = await PostAsync(path, plan[index])));
    }
    await Task.WhenAll(tasks);
    Console.WriteLine($"  load generator GC during the phase: paused {(GC.GetTotalPauseDuration() - pausedBefore).TotalMilliseconds:F0} ms, collections gen0 {GC.CollectionCount(0) - gcBefore.Item1} gen1 {GC.CollectionCount(1) - gcBefore.Item2} gen2 {GC.CollectionCount(2) - gcBefore.Item3}");
    return latencies;
}

// Where a tail comes from: one stall holds every request in flight (a burst of slow answers in one second), a slow
// path shows in every second.
void PrintPerSecond(double[] latencies)
{
    // A stall shows as a tenth of a second whose median is well above the phase's.
    var stalls = latencies.Chunk(rate / 10).Select(tenth => Pct(tenth, 50)).Where(p50 => p50 > 30).Select(p50 => p50.ToString("F0")).ToList();
    Console.WriteLine($"  tenths with p50 > 30 ms: {stalls.Count} [{string.Join(", ", stalls)}]");
    foreach (var (slice, second) in latencies.Chunk(rate).Select((slice, i) => (slice, i + 1)))
        Console.WriteLine($"  second {second,2}: p50 {Pct(slice, 50),6:F1} ms   p99 {Pct(slice, 99),7:F1} ms   max {slice.Max(),7:F1} ms");
}

static double Pct(double[] values, double p)
{
    var sorted = values.Order().ToArray();
    return sorted[Math.Clamp((int)Math.Ceiling(p / 100 * sorted.Length) - 1, 0, sorted.Length - 1)];
}

Console.WriteLine($"Ingest benchmark — {DateTimeOffset.UtcNow:yyyy-MM-dd HH:mm} UTC, {Environment.ProcessorCount} cores, {total} requests per saturation phase, concurrency {concurrency}");
var processStart = Stopwatch.StartNew();
// Warm-up (counted in the loss check). --warmup N for a longer one before --paced-only: the JIT's later tiers.
await SaturateAsync("webhooks/whatsapp", int.Parse(Arg("--warmup", "500")), trackUnique: true);
if (pacedOnly)
{
    var path = Arg("--paced-path", "webhooks/whatsapp");
    await DrainAsync(); // the warm-up's processing is not part of the paced phase
    var alone = await AtRateAsync(path, rate, rateSeconds);
    Console.WriteLine($"{path} at {rate} msg/s for {rateSeconds} s: p50 {Pct(alone, 50):F1} ms   p99 {Pct(alone, 99):F1} ms");
    PrintPerSecond(alone);
    return 0;
}
processStart.Restart();
var app = await SaturateAsync("webhooks/whatsapp", total, trackUnique: true);
Console.WriteLine($"webhook   saturation: {app.PerSecond,8:F0} msg/s accepted   p50 {Pct(app.Latencies, 50),6:F1} ms   p99 {Pct(app.Latencies, 99),6:F1} ms   (10 % duplicates)");

// Let processing drain before measuring the ceiling so the two phases do not share the CPU.
async Task<(long Stored, long Distinct, long Pending)> CountAsync()
{
    await using var conn = new NpgsqlConnection(ownerDb);
    await conn.OpenAsync();
    await using var cmd = new NpgsqlCommand("""
        SET app.platform = 'on';
        SELECT (SELECT count(*) FROM messages WHERE tenant_id = @t AND direction = 'Inbound'),
               (SELECT count(DISTINCT external_id) FROM messages WHERE tenant_id = @t AND direction = 'Inbound'),
               (SELECT count(*) FROM webhook_deliveries WHERE state = 'Pending')
        """, conn);
    cmd.Parameters.AddWithValue("t", tenantId);
    await using var reader = await cmd.ExecuteReaderAsync();
    await reader.ReadAsync();
    return (reader.GetInt64(0), reader.GetInt64(1), reader.GetInt64(2));
}
async Task<TimeSpan> DrainAsync()
{
    var lastStored = -1L;
    var progress = Stopwatch.StartNew();
    while (true)
    {
        var (stored, _, pending) = await CountAsync();
        if (stored >= uniqueSent && pending == 0) return processStart.Elapsed;
        if (stored != lastStored)
        {
            lastStored = stored;
            progress.Restart();
        }
        // Nothing stored for 10 s: the processors are off (Webhooks__Workers=0) or stuck; the final count tells which.
        if (progress.Elapsed > TimeSpan.FromSeconds(10)) return processStart.Elapsed;
        await Task.Delay(100);
    }
}
var drained = await DrainAsync();
var processedSoFar = (await CountAsync()).Stored;
Console.WriteLine($"processing: {processedSoFar} messages stored {drained.TotalSeconds:F1} s after the phase started → {processedSoFar / drained.TotalSeconds:F0} msg/s end to end (accept + process)");

// The cluster was created seconds before the run, and autovacuum's first visit to a new database comes a minute or two
// later: until then PostgreSQL plans every lookup without statistics and picks scans a running system (whose tables
// autovacuum analyses within a minute of a change) never would. The saturation phase just filled the tables from
// nothing; analyse them as autovacuum would, so the paced phase measures a database in its steady state.
if (!args.Contains("--no-analyze"))
{
    await using var conn = new NpgsqlConnection(ownerDb);
    await conn.OpenAsync();
    await using var cmd = new NpgsqlCommand("ANALYZE", conn);
    await cmd.ExecuteNonQueryAsync();
}

var ceiling = await SaturateAsync("bench/ceiling", total, trackUnique: false);
Console.WriteLine($"ceiling   saturation: {ceiling.PerSecond,8:F0} msg/s   p50 {Pct(ceiling.Latencies, 50),6:F1} ms   p99 {Pct(ceiling.Latencies, 99),6:F1} ms   (verify + one insert)");
Console.WriteLine($"webhook / ceiling: {app.PerSecond / ceiling.PerSecond:P0}");
// The ceiling's 20,000 rows would be vacuumed and analysed by PostgreSQL during the paced phase: bench clean-up, not
// the product's, so they go now.
await using (var conn = new NpgsqlConnection(ownerDb))
{
    await conn.OpenAsync();
    await using var cmd = new NpgsqlCommand("TRUNCATE bench_ceiling", conn);
    await cmd.ExecuteNonQueryAsync();
}

Console.WriteLine($"paced phase starts {DateTimeOffset.UtcNow:HH:mm:ss.fff} UTC");
processStart.Restart();
var paced = await AtRateAsync("webhooks/whatsapp", rate, rateSeconds);
Console.WriteLine($"webhook at {rate} msg/s for {rateSeconds} s: p50 {Pct(paced, 50):F1} ms   p99 {Pct(paced, 99):F1} ms");
PrintPerSecond(paced);
await DrainAsync();

var (finalStored, finalDistinct, finalPending) = await CountAsync();
Console.WriteLine($"sent {uniqueSent} unique + {duplicatesSent} duplicates; stored {finalStored} ({finalDistinct} distinct); pending {finalPending}");
Console.WriteLine($"lost {uniqueSent - finalDistinct}, duplicated {finalStored - finalDistinct}");
return uniqueSent == finalDistinct && finalStored == finalDistinct ? 0 : 1;

string Arg(string name, string fallback)
{
    var i = Array.IndexOf(args, name);
    return i >= 0 && i + 1 < args.Length ? args[i + 1] : fallback;
}

sealed record Signed(byte[] Body, string Signature);
