// Operator circuits: N signed-in agents with the live inbox open, each a real Blazor Server circuit (a Playwright page in
// Debian's Chromium, several browser contexts per browser process). Run it with bench/circuits.sh. Prints the app's
// memory per circuit (RSS and GC heap before vs after, divided by N) and the webhook → screen latency with all N
// connected: a signed webhook is posted and timed until its text is visible on every open page of that workspace
// (a MutationObserver in each page records the wall-clock moment; pages and bench share the machine's clock).
using System.Diagnostics;
using System.Net;
using System.Net.Http.Headers;
using Microsoft.Playwright;
using Npgsql;
using OperatorConsole.Bench;

var url = new Uri(Arg("--url", "http://127.0.0.1:5396/"));
var ownerDb = Arg("--db", "");
var pid = int.Parse(Arg("--pid", "0"));
var circuits = int.Parse(Arg("--circuits", "200"));
// Agents share workspaces: every workspace's owner is signed in from several browsers (each its own circuit).
var tenantCount = int.Parse(Arg("--tenants", Math.Max(1, circuits / 10).ToString()));
var perBrowser = int.Parse(Arg("--per-browser", "25"));
var messages = int.Parse(Arg("--messages", "40"));
var waves = int.Parse(Arg("--waves", "5"));
var secret = Arg("--secret", "bench-meta-secret");
var metricsToken = Arg("--metrics-token", "bench-metrics");
var chromium = Arg("--chromium", Environment.GetEnvironmentVariable("CONSOLE_CHROMIUM") ?? "/usr/bin/chromium");
var run = Guid.NewGuid().ToString("N")[..6];
ThreadPool.SetMinThreads(64, 64);

var platform = new HttpClient { BaseAddress = url, Timeout = TimeSpan.FromSeconds(120) };
platform.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", "bench-platform-key");
var probe = new AppProbe(pid, platform, metricsToken);
var http = new HttpClient { BaseAddress = url, Timeout = TimeSpan.FromSeconds(60) };
Console.WriteLine($"Operator circuits — {DateTimeOffset.UtcNow:yyyy-MM-dd HH:mm} UTC, {Environment.ProcessorCount} cores, {circuits} circuits in {tenantCount} workspaces, " +
                  $"{perBrowser} pages per Chromium{(args.Contains("--shared-contexts") ? ", one signed-in context per workspace and browser" : ", a signed-in context per page")}, app pid {pid}");

// Each workspace: its owner (the agent who signs in) and one customer's conversation, made by a first webhook.
var tenants = new List<(BenchTenant Tenant, string WaId, Guid Conversation)>();
for (var i = 0; i < tenantCount; i++)
{
    var tenant = await BenchTenant.CreateAsync(platform, $"circ-{run}-{i}", "enterprise", agentBufferSeconds: null);
    var waId = "5217" + (100000000 + i);
    await PostAsync(tenant, waId, $"Hola, soy el cliente {run}-{i}");
    tenants.Add((tenant, waId, await WaitForConversationAsync(waId)));
}
Console.WriteLine($"{tenantCount} workspaces with a conversation each");

using var playwright = await Playwright.CreateAsync();
var browsers = new List<IBrowser>();
async Task<IBrowser> LaunchAsync() => await playwright.Chromium.LaunchAsync(new BrowserTypeLaunchOptions
{
    ExecutablePath = chromium,
    Headless = true,
    Args = ["--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage", "--disable-background-networking", "--disable-component-update",
        "--disable-sync", "--no-first-run", "--disable-extensions", "--mute-audio",
        // --renderer-limit N: at most N renderer processes per browser; same-site tabs of one context then share them.
        .. (Arg("--renderer-limit", "") is { Length: > 0 } limit ? new[] { "--renderer-process-limit=" + limit } : [])],
});

// --shared-contexts: the tabs of one workspace in one browser share a browser context (signed in once, like an agent's
// several tabs), so Chromium can put them in fewer renderer processes; each tab is still its own circuit.
var sharedContexts = args.Contains("--shared-contexts");
var contexts = new Dictionary<(IBrowser, int), Task<IBrowserContext>>();
async Task<IBrowserContext> SignedInAsync(IBrowser browser, int tenantIndex)
{
    var tenant = tenants[tenantIndex].Tenant;
    var context = await browser.NewContextAsync(new BrowserNewContextOptions { BaseURL = url.ToString(), Locale = "es-MX", ViewportSize = new() { Width = 1280, Height = 800 } });
    var page = await context.NewPageAsync();
    page.SetDefaultTimeout(180_000);
    await page.GotoAsync("/Account/Login");
    await page.Locator("input[name='Input.Email']").FillAsync(tenant.OwnerEmail);
    await page.Locator("input[name='Input.Password']").FillAsync(tenant.OwnerPassword);
    await page.Locator("form.account-form button[type='submit']").First.ClickAsync();
    await page.WaitForURLAsync(u => !u.Contains("/Account/Login", StringComparison.Ordinal));
    await page.CloseAsync();
    return context;
}

var reloads = 0;
async Task<IPage> OpenAsync(IBrowser browser, int tenantIndex)
{
    var conversation = tenants[tenantIndex].Conversation;
    Task<IBrowserContext> signingIn;
    lock (contexts)
    {
        if (!sharedContexts || !contexts.TryGetValue((browser, tenantIndex), out signingIn!))
        {
            signingIn = SignedInAsync(browser, tenantIndex);
            if (sharedContexts) contexts[(browser, tenantIndex)] = signingIn;
        }
    }
    var page = await (await signingIn).NewPageAsync();
    page.SetDefaultTimeout(180_000);
    // The observer is an init script, so a page that reloads (Blazor gives up reconnecting a dropped circuit and reloads)
    // watches again at once; installed by one evaluate, a reloaded page never saw another message (the unexplained
    // "not shown within 30 s" of the first 200-circuit runs). Reloads are counted and printed.
    await page.AddInitScriptAsync("""
        window.__want = null; window.__seen = {};
        document.addEventListener('DOMContentLoaded', () => new MutationObserver(() => {
          const t = window.__want;
          if (t && window.__seen[t] === undefined && document.body.textContent.includes(t)) window.__seen[t] = performance.timeOrigin + performance.now();
        }).observe(document.body, { childList: true, subtree: true, characterData: true }));
        """);
    var loads = 0;
    page.Load += (_, _) => { if (Interlocked.Increment(ref loads) > 1) Interlocked.Increment(ref reloads); };
    await page.GotoAsync($"/inbox/{conversation}");
    await page.Locator("#console-ready").WaitForAsync(new() { State = WaitForSelectorState.Attached });
    return page;
}

// Warm-up: one agent signs in and opens the inbox once (the JIT and the first render are not a circuit's cost), then leaves.
{
    var warm = await LaunchAsync();
    var page = await OpenAsync(warm, 0);
    await warm.CloseAsync();
    contexts.Clear();
}
await Task.Delay(TimeSpan.FromSeconds(5));
var (rssBefore, heapBefore, cpuBefore) = await MemoryAsync();
var circuitsBefore = await CircuitsAsync();

// N circuits, opened ten at a time.
var pages = new IPage?[circuits];
var opening = Stopwatch.StartNew();
for (var b = 0; b * perBrowser < circuits; b++) browsers.Add(await LaunchAsync());
var failedToOpen = 0;
await Parallel.ForEachAsync(Enumerable.Range(0, circuits), new ParallelOptions { MaxDegreeOfParallelism = 10 }, async (i, _) =>
{
    try { pages[i] = await OpenAsync(browsers[i / perBrowser], TenantOf(i)); }
    catch (Exception e) { Interlocked.Increment(ref failedToOpen); Console.WriteLine($"circuit {i}: {e.GetType().Name} {e.Message.Split('\n')[0]}"); }
    if ((i + 1) % 50 == 0) Console.WriteLine($"  {i + 1} opened after {opening.Elapsed.TotalSeconds:F0} s");
});
Console.WriteLine($"{circuits - failedToOpen} of {circuits} circuits open in {opening.Elapsed.TotalSeconds:F0} s");
await Task.Delay(TimeSpan.FromSeconds(15)); // settle; the heartbeat (5 s) records the node's open circuits
var (rssAfter, heapAfter, _) = await MemoryAsync();
var circuitsAfter = await CircuitsAsync();
var open = circuits - failedToOpen;
var browserRss = ChromiumRssMb();
Console.WriteLine($"app circuits (heartbeat): {circuitsBefore} before, {circuitsAfter} after");
Console.WriteLine($"app RSS: {rssBefore:F0} → {rssAfter:F0} MB = {(rssAfter - rssBefore) * 1024 / open:F0} KB per circuit");
Console.WriteLine($"app GC heap (after last GC): {heapBefore:F0} → {heapAfter:F0} MB = {(heapAfter - heapBefore) * 1024 / open:F0} KB per circuit");
Console.WriteLine($"Chromium (this bench's processes, PSS summed): {browserRss:F0} MB = {browserRss / open:F0} MB per page");

// Webhook → screen, one message at a time, with every circuit connected: timed until the text shows on every page of its
// workspace; then waves: a webhook to every workspace at the same moment (all N screens change together).
var oneAtATime = new List<double>();
var wave = new List<double>();
var missing = 0;
var live = Enumerable.Range(0, circuits).Where(i => pages[i] is not null).ToList();
for (var m = -3; m < messages; m++)
{
    var t = ((m % tenantCount) + tenantCount) % tenantCount;
    var samples = await MeasureAsync([t], $"m{m + 3}");
    if (m >= 0) oneAtATime.AddRange(samples);
}
for (var w = 0; w < waves; w++)
{
    wave.AddRange(await MeasureAsync(Enumerable.Range(0, tenantCount).ToList(), $"w{w}"));
    await Task.Delay(TimeSpan.FromSeconds(2));
}
var cpuAfter = probe.CpuSeconds();
Print($"webhook → text on every page of its workspace, one webhook at a time ({open / tenantCount} pages each), all {open} connected", oneAtATime);
Print($"webhook to all {tenantCount} workspaces at once → text on all {open} pages", wave);
Console.WriteLine($"not shown within 30 s: {missing}");
Console.WriteLine($"pages reloaded by the app during the run (a circuit dropped and not resumed): {reloads}");
Console.WriteLine($"app CPU while measuring: {cpuAfter - cpuBefore:F1} s");
foreach (var b in browsers) await b.CloseAsync();
return missing == 0 && failedToOpen == 0 ? 0 : 1;

async Task<List<double>> MeasureAsync(List<int> tenantIndexes, string tag)
{
    var tokens = tenantIndexes.ToDictionary(t => t, t => $"bench-{run}-{tag}-{t}");
    var watched = live.Where(i => tokens.ContainsKey(TenantOf(i))).ToList();
    await Task.WhenAll(watched.Select(i => WantAsync(pages[i]!, tokens[TenantOf(i)])));
    var posted = new Dictionary<int, double>();
    await Task.WhenAll(tenantIndexes.Select(async t =>
    {
        lock (posted) posted[t] = NowMs();
        await PostAsync(tenants[t].Tenant, tenants[t].WaId, $"Mensaje {tokens[t]}");
    }));
    var results = await Task.WhenAll(watched.Select(async i =>
    {
        var t = TenantOf(i);
        try
        {
            await pages[i]!.WaitForFunctionAsync("t => window.__seen[t] !== undefined", tokens[t], new() { Timeout = 30_000, PollingInterval = 20 });
            return (double?)(await pages[i]!.EvaluateAsync<double>("t => window.__seen[t]", tokens[t]) - posted[t]);
        }
        catch (Exception e) when (e is TimeoutException or PlaywrightException)
        {
            // Not shown in 30 s, or the page reloaded while waiting (its sample is lost; the reload is counted).
            Interlocked.Increment(ref missing);
            return null;
        }
    }));
    return results.Where(r => r is not null).Select(r => r!.Value).ToList();
}

// What the page should watch for; a page caught reloading is waited for and told again.
static async Task WantAsync(IPage page, string token)
{
    for (var attempt = 1; ; attempt++)
    {
        try
        {
            await page.EvaluateAsync("t => { window.__want = t; }", token);
            return;
        }
        catch (PlaywrightException) when (attempt < 3)
        {
            await page.Locator("#console-ready").WaitForAsync(new() { State = WaitForSelectorState.Attached });
        }
    }
}

// Workspaces in contiguous blocks of pages, so one browser holds whole workspaces.
int TenantOf(int page) => (int)((long)page * tenantCount / circuits);

static double NowMs() => (DateTime.UtcNow - DateTime.UnixEpoch).TotalMilliseconds;

async Task PostAsync(BenchTenant tenant, string waId, string text)
{
    var body = WhatsApp.TextBody(tenant.PhoneNumberId, waId, $"wamid.CIRC{run}{Guid.NewGuid():N}", text, "Cliente " + run);
    using var request = WhatsApp.SignedPost(body, secret);
    using var response = await http.SendAsync(request);
    if (response.StatusCode != HttpStatusCode.OK) throw new InvalidOperationException($"webhook answered {(int)response.StatusCode}");
}

async Task<(double RssMb, double HeapMb, double Cpu)> MemoryAsync()
{
    var metrics = await probe.MetricsAsync("dotnet_gc_last_collection_heap_size_bytes");
    return (probe.RssBytes() / 1048576.0, metrics["dotnet_gc_last_collection_heap_size_bytes"] / 1048576.0, probe.CpuSeconds());
}

async Task<NpgsqlConnection> DbAsync()
{
    var conn = new NpgsqlConnection(ownerDb);
    await conn.OpenAsync();
    await using var cmd = new NpgsqlCommand("SET app.platform = 'on'", conn);
    await cmd.ExecuteNonQueryAsync();
    return conn;
}

async Task<long> CircuitsAsync()
{
    await using var conn = await DbAsync();
    await using var cmd = new NpgsqlCommand("SELECT coalesce(sum(circuits), 0) FROM cluster_nodes WHERE heartbeat_at > now() - interval '30 seconds'", conn);
    return Convert.ToInt64(await cmd.ExecuteScalarAsync());
}

async Task<Guid> WaitForConversationAsync(string waId)
{
    var deadline = Stopwatch.StartNew();
    while (true)
    {
        await using var conn = await DbAsync();
        await using var cmd = new NpgsqlCommand("""
            SELECT c.id FROM conversations c JOIN contact_identities i ON i.contact_id = c.contact_id AND i.channel_id = c.channel_id
            WHERE i.value = @wa ORDER BY c.created_at DESC LIMIT 1
            """, conn);
        cmd.Parameters.AddWithValue("wa", waId);
        if (await cmd.ExecuteScalarAsync() is Guid id) return id;
        if (deadline.Elapsed > TimeSpan.FromSeconds(60)) throw new TimeoutException("the bench customer's conversation was not created");
        await Task.Delay(100);
    }
}

// The Chromium processes this bench started (descendants of this process: Playwright's driver, then the browsers), not
// the other headless Chromiums on a shared machine.
static double ChromiumRssMb()
{
    var parent = new Dictionary<int, int>();
    foreach (var dir in Directory.EnumerateDirectories("/proc"))
    {
        if (!int.TryParse(Path.GetFileName(dir), out var p)) continue;
        try
        {
            var stat = File.ReadAllText(Path.Combine(dir, "stat"));
            parent[p] = int.Parse(stat[(stat.LastIndexOf(')') + 2)..].Split(' ')[1]);
        }
        catch (IOException) { }
    }
    bool Mine(int p)
    {
        for (var hops = 0; hops < 20 && p > 1; hops++)
        {
            if (p == Environment.ProcessId) return true;
            if (!parent.TryGetValue(p, out p)) return false;
        }
        return false;
    }
    double kb = 0;
    foreach (var p in parent.Keys.Where(Mine))
    {
        try
        {
            if (!File.ReadAllText($"/proc/{p}/cmdline").Contains("chromium", StringComparison.Ordinal)) continue;
            // Proportional set size: shared pages divided among the processes sharing them (RSS would count them in each).
            var line = File.ReadLines($"/proc/{p}/smaps_rollup").FirstOrDefault(l => l.StartsWith("Pss:", StringComparison.Ordinal));
            if (line is not null) kb += double.Parse(line.Split(' ', StringSplitOptions.RemoveEmptyEntries)[1], System.Globalization.CultureInfo.InvariantCulture);
        }
        catch (IOException) { }
    }
    return kb / 1024;
}

static void Print(string what, List<double> ms)
{
    if (ms.Count == 0) { Console.WriteLine($"{what}: no samples"); return; }
    ms.Sort();
    Console.WriteLine($"{what}: n={ms.Count}  p50 {Stats.Pct(ms, 50):F0} ms  p95 {Stats.Pct(ms, 95):F0} ms  max {ms[^1]:F0} ms");
}

string Arg(string name, string fallback) => BenchArgs.Get(args, name, fallback);
