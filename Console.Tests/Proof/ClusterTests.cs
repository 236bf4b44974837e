using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Net.Sockets;
using System.Text.RegularExpressions;
using Microsoft.EntityFrameworkCore;
using Microsoft.Playwright;
using Npgsql;
using OperatorConsole.App.Hosting;
using OperatorConsole.Domain.Channels;
using OperatorConsole.Domain.Conversations;
using OperatorConsole.Tests.Fakes;
using OperatorConsole.Tests.Support;
using Xunit.Abstractions;

namespace OperatorConsole.Tests.Proof;

/// <summary>One line of nginx's access log (the <c>console</c> format of deploy/nginx.conf.template).</summary>
public sealed record NginxAccess(string Affinity, IReadOnlyList<string> Upstreams, int Status, string Request)
{
    private static readonly Regex Line = new("""affinity=(?<a>\S*) upstream=(?<u>.*?) status=(?<s>\d+) time=\S+ "(?<r>[^"]*)"$""", RegexOptions.Compiled);

    public static NginxAccess? Parse(string line) => Line.Match(line) is { Success: true } m
        ? new NginxAccess(m.Groups["a"].Value, m.Groups["u"].Value.Split(", ", StringSplitOptions.RemoveEmptyEntries), int.Parse(m.Groups["s"].Value, CultureInfo.InvariantCulture),
            m.Groups["r"].Value)
        : null;

    /// <summary>The node that answered (the last one tried, when nginx skipped a dead one first).</summary>
    public string Upstream => Upstreams.Count > 0 ? Upstreams[^1] : "-";
}

/// <summary>
/// nginx from apt as a child process with a directory of its own (pid, logs, temp files), configured from
/// deploy/nginx.conf.template exactly as <c>./console.sh cluster</c> configures it, on a free port.
/// </summary>
public sealed class Nginx : IAsyncDisposable
{
    private readonly Process _process;

    private Nginx(Process process, string prefix, int port)
    {
        _process = process;
        Prefix = prefix;
        BaseAddress = new Uri($"http://127.0.0.1:{port}");
    }

    public string Prefix { get; }
    public Uri BaseAddress { get; }
    public string AccessLogPath => Path.Combine(Prefix, "access.log");

    /// <summary>The nginx binary, or null when it is not installed (./console.sh proof and cluster install it).</summary>
    public static string? Executable { get; } = new[] { "/usr/sbin/nginx", "/usr/bin/nginx", "/usr/local/sbin/nginx" }.FirstOrDefault(File.Exists);

    public static string Template => Path.Combine(AppPaths.ContentRoot, "deploy", "nginx.conf.template");

    /// <summary>The template with its tokens filled, as console.sh's render_nginx_conf does.</summary>
    public static string Render(string prefix, string listen, IEnumerable<int> nodePorts) => File.ReadAllText(Template)
        .Replace("@@PREFIX@@", prefix).Replace("@@LISTEN@@", listen).Replace("@@SECURE@@", "")
        .Replace("@@SERVERS@@", string.Join("\n", nodePorts.Select(p => $"        server 127.0.0.1:{p} max_fails=1 fail_timeout=5s;")));

    public static int FreePort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }

    public static async Task<Nginx> StartAsync(IReadOnlyList<int> nodePorts, int port)
    {
        var executable = Executable ?? throw new InvalidOperationException("nginx is not installed (apt-get install nginx; ./console.sh proof does).");
        var prefix = Path.Combine(Path.GetTempPath(), "console-nginx-" + Guid.NewGuid().ToString("N")[..8]);
        Directory.CreateDirectory(Path.Combine(prefix, "temp"));
        // nginx's workers drop to an unprivileged user when started as root: they must reach their temp directories.
        if (!OperatingSystem.IsWindows()) File.SetUnixFileMode(prefix, (UnixFileMode)0b111_101_101);
        var conf = Path.Combine(prefix, "nginx.conf");
        await File.WriteAllTextAsync(conf, Render(prefix, $"127.0.0.1:{port}", nodePorts));
        var info = new ProcessStartInfo(executable, ["-p", prefix, "-c", conf, "-e", Path.Combine(prefix, "error.log")])
        {
            UseShellExecute = false, RedirectStandardError = true, RedirectStandardOutput = true,
        };
        var process = Process.Start(info)!;
        process.BeginErrorReadLine();
        process.BeginOutputReadLine();
        var nginx = new Nginx(process, prefix, port);
        using var http = new HttpClient { BaseAddress = nginx.BaseAddress, Timeout = TimeSpan.FromSeconds(5) };
        var watch = Stopwatch.StartNew();
        while (true)
        {
            if (process.HasExited)
                throw new InvalidOperationException($"nginx exited with {process.ExitCode}: {await File.ReadAllTextAsync(Path.Combine(prefix, "error.log"))}");
            try
            {
                using var response = await http.GetAsync("/health/ready");
                if (response.StatusCode == HttpStatusCode.OK) return nginx;
            }
            catch (Exception ex) when (ex is HttpRequestException or TaskCanceledException)
            {
                // Not listening yet.
            }
            if (watch.Elapsed > TimeSpan.FromSeconds(30)) throw new TimeoutException("nginx did not answer within 30 s");
            await Task.Delay(100);
        }
    }

    public IReadOnlyList<NginxAccess> AccessLog()
    {
        using var reader = new StreamReader(new FileStream(AccessLogPath, FileMode.Open, FileAccess.Read, FileShare.ReadWrite | FileShare.Delete));
        var lines = new List<NginxAccess>();
        while (reader.ReadLine() is { } line)
            if (NginxAccess.Parse(line) is { } access) lines.Add(access);
        return lines;
    }

    public ValueTask DisposeAsync()
    {
        // The master and its workers: a worker left behind would keep the port.
        if (!_process.HasExited) _process.Kill(entireProcessTree: true);
        _process.WaitForExit();
        _process.Dispose();
        try { Directory.Delete(Prefix, recursive: true); } catch (IOException) { } catch (UnauthorizedAccessException) { }
        return ValueTask.CompletedTask;
    }
}

/// <summary>A <see cref="FactAttribute"/> that skips, saying why, when nginx is not installed.</summary>
public sealed class NginxFactAttribute : FactAttribute
{
    public NginxFactAttribute()
    {
        if (Nginx.Executable is null) Skip = "nginx is not installed: ./console.sh proof installs it from apt (apt-get install nginx)";
    }
}

/// <summary>
/// The scale-out shape: the real app as two processes (node A and node B, the Release build) on one database, each
/// with its own fake model, behind real nginx (deploy/nginx.conf.template) with cookie affinity; sends go to one fake
/// Graph API, which posts statuses back through nginx as Meta would. Tenants and users are made before the nodes start.
/// </summary>
public sealed class ClusterFixture : IAsyncLifetime
{
    public FakeLlm LlmA { get; private set; } = default!;
    public FakeLlm LlmB { get; private set; } = default!;
    public FakeGraphApi Graph { get; private set; } = default!;
    public string Database { get; private set; } = "";
    public AppProcess A { get; private set; } = default!;
    public AppProcess B { get; private set; } = default!;
    public Nginx Proxy { get; private set; } = default!;

    /// <summary>Through nginx without cookies, as Meta posts webhooks: each request is hashed afresh, so they spread over the nodes.</summary>
    public HttpClient ViaNginx { get; private set; } = default!;
    public HttpClient DirectA { get; private set; } = default!;
    public HttpClient DirectB { get; private set; } = default!;

    /// <summary>Tenants of the webhook test (agent on, 1 s buffer): id, WhatsApp phone number id, conversations for scheduled messages.</summary>
    public List<(Guid TenantId, string PhoneNumberId, List<Guid> Scheduled)> WebhookTenants { get; } = [];
    public (Guid TenantId, string PhoneNumberId) KillTenant { get; private set; }
    public (Guid TenantId, string PhoneNumberId, string OwnerEmail) LiveTenant { get; private set; }
    public const string OwnerPassword = "Str0ng!Pass";
    public TimeSpan StartUp { get; private set; }

    public async Task InitializeAsync()
    {
        if (Nginx.Executable is null) return; // every test skips
        var watch = Stopwatch.StartNew();
        LlmA = await FakeLlm.StartAsync();
        LlmB = await FakeLlm.StartAsync();
        Graph = await FakeGraphApi.StartAsync();
        Database = await TestDatabase.CreateAsync();
        await ProvisionAsync();

        var nginxPort = Nginx.FreePort();
        AppProcess Node(string name, FakeLlm llm) => AppProcess.Create(Database, new Dictionary<string, string?>(AgentApp.Settings(llm, leaseSeconds: 5))
        {
            ["Nodes:Name"] = name,
            ["Outbound:Mode"] = "Live",
            ["Meta:GraphBaseUrl"] = Graph.BaseUrl.ToString().TrimEnd('/'),
            ["Meta:GraphVersion"] = "v23.0",
            ["Scheduler:CheckinIntervalSeconds"] = "2",
            ["Scheduler:SweepSeconds"] = "5",
            // Links and webhook URLs name nginx, which may tell the nodes the client's address and scheme.
            ["Platform:PublicBaseUrl"] = $"http://127.0.0.1:{nginxPort}",
            ["Network:KnownProxies"] = "127.0.0.1",
            ["DOTNET_TieredCompilation"] = "1",
        }, "cluster-" + name);
        A = Node("node-a", LlmA);
        B = Node("node-b", LlmB);
        await Task.WhenAll(A.StartAsync(TimeSpan.FromMinutes(3)), B.StartAsync(TimeSpan.FromMinutes(3)));
        Proxy = await Nginx.StartAsync([A.Port, B.Port], nginxPort);
        ViaNginx = new HttpClient(new SocketsHttpHandler { UseCookies = false }) { BaseAddress = Proxy.BaseAddress, Timeout = TimeSpan.FromSeconds(30) };
        DirectA = new HttpClient { BaseAddress = A.BaseAddress, Timeout = TimeSpan.FromSeconds(30) };
        DirectB = new HttpClient { BaseAddress = B.BaseAddress, Timeout = TimeSpan.FromSeconds(30) };
        Graph.WebhookTarget = ViaNginx;
        Graph.StatusDelay = TimeSpan.FromMilliseconds(300);
        StartUp = watch.Elapsed;
    }

    private async Task ProvisionAsync()
    {
        // An in-process app on the database that does no work of its own, gone before the nodes start.
        await using var setup = new NodeAppFactory(Database, new Dictionary<string, string?>
        {
            ["Agent:Workers"] = "0", ["Outbound:Workers"] = "0", ["Webhooks:Workers"] = "0", ["Scheduler:Enabled"] = "false",
        });
        await setup.InitializeAsync();
        for (var t = 0; t < 2; t++)
        {
            var owner = await TestCustomer.CreateAsync(setup, bufferSeconds: 1);
            Channel channel;
            await using (var work = setup.Scopes.ForTenant(owner.TenantId))
                channel = await work.Db.Channels.AsNoTracking().SingleAsync();
            var scheduled = new List<Guid>();
            for (var i = 0; i < 3; i++)
                scheduled.Add((await setup.ConversationAsync(owner.TenantId, $"Agenda {t}-{i}", "hola", channel,
                    "52166" + Random.Shared.Next(10000000, 99999999).ToString(CultureInfo.InvariantCulture))).Id);
            WebhookTenants.Add((owner.TenantId, owner.PhoneNumberId, scheduled));
        }
        var kill = await TestCustomer.CreateAsync(setup, bufferSeconds: 1);
        KillTenant = (kill.TenantId, kill.PhoneNumberId);
        var live = await setup.TenantAsync("Clínica Nodo");
        var liveChannel = await setup.ChannelAsync(live.Id);
        LiveTenant = (live.Id, liveChannel.ExternalId, $"{live.Slug}@owner.test");
    }

    /// <summary>A superuser connection to the cluster's database (sees every tenant's rows).</summary>
    public async Task<NpgsqlConnection> OpenDatabaseAsync()
    {
        var db = new NpgsqlConnection(new NpgsqlConnectionStringBuilder(TestDatabase.AdminConnectionString) { Database = Database }.ConnectionString);
        await db.OpenAsync();
        return db;
    }

    public async Task DisposeAsync()
    {
        if (Nginx.Executable is null) return;
        if (Graph is not null) Graph.WebhookTarget = null;
        if (Proxy is not null) await Proxy.DisposeAsync();
        if (A is not null) await A.DisposeAsync();
        if (B is not null) await B.DisposeAsync();
        ViaNginx?.Dispose();
        DirectA?.Dispose();
        DirectB?.Dispose();
        if (Graph is not null) await Graph.DisposeAsync();
        if (LlmA is not null) await LlmA.DisposeAsync();
        if (LlmB is not null) await LlmB.DisposeAsync();
        if (Database != "") await TestDatabase.DropAsync(Database);
    }
}

/// <summary>
/// Scale-out, proved from outside: two real app processes on one database behind real nginx. Webhooks to either node
/// (directly or through nginx, and redelivered to the other) are stored once and answered once, and messages due while
/// both run fire once; a browser pinned to each node sees the other node's changes live; a node SIGKILLed in the
/// middle of an agent turn has the turn finished by the other, with exactly one reply; a circuit's requests (page,
/// negotiate, WebSocket) all reach one node.
/// </summary>
[Trait("Category", "Proof")]
public class ClusterTests(ClusterFixture cluster, BrowserFixture browser, ITestOutputHelper output)
    : IClassFixture<ClusterFixture>, IClassFixture<BrowserFixture>
{
    private static readonly TimeSpan Generous = TimeSpan.FromSeconds(90);

    private void Report(string figures)
    {
        output.WriteLine(figures);
        Console.WriteLine(figures);
        File.AppendAllText(Path.Combine(Path.GetDirectoryName(cluster.A.LogPath)!, "cluster-figures.txt"), $"{DateTime.UtcNow:u}\n{figures}\n");
    }

    private static async Task<long> ScalarAsync(NpgsqlConnection db, string sql, params (string Name, object Value)[] parameters)
    {
        await using var cmd = new NpgsqlCommand(sql, db);
        foreach (var (name, value) in parameters) cmd.Parameters.AddWithValue(name, value);
        return Convert.ToInt64(await cmd.ExecuteScalarAsync(), CultureInfo.InvariantCulture);
    }

    /// <summary>Work claimed, due or unprocessed anywhere in the database: deliveries, turns, sends, scheduled items.</summary>
    private static async Task<long> LeftOverAsync(NpgsqlConnection db) =>
        await ScalarAsync(db, $"SELECT count(*) FROM webhook_deliveries WHERE state IN ('{nameof(DeliveryState.Pending)}', '{nameof(DeliveryState.Failed)}')")
        + await ScalarAsync(db, "SELECT count(*) FROM conversations WHERE agent_due_at IS NOT NULL OR agent_lease_id IS NOT NULL")
        + await ScalarAsync(db, $"SELECT count(*) FROM messages WHERE direction = '{nameof(MessageDirection.Outbound)}' AND status = '{nameof(DeliveryStatus.Queued)}'")
        + await ScalarAsync(db, $"SELECT count(*) FROM scheduled_items WHERE status = '{nameof(ScheduledItemStatus.Pending)}' AND at <= now()");

    /// <summary>Bot messages per customer (their wa_id), over every tenant.</summary>
    private static async Task<Dictionary<string, int>> RepliesPerCustomerAsync(NpgsqlConnection db)
    {
        await using var cmd = new NpgsqlCommand($"""
            SELECT i.value, count(m.id) FROM contact_identities i
            JOIN conversations c ON c.contact_id = i.contact_id
            JOIN messages m ON m.conversation_id = c.id AND m.sender = '{nameof(MessageSender.Bot)}'
            GROUP BY i.value
            """, db);
        var result = new Dictionary<string, int>();
        await using var reader = await cmd.ExecuteReaderAsync();
        while (await reader.ReadAsync()) result[reader.GetString(0)] = (int)reader.GetInt64(1);
        return result;
    }

    private int SendsTo(string waId) => cluster.Graph.Sends.Count(s => s.Body?["to"]?.GetValue<string>() == waId && s.Body?["status"]?.GetValue<string>() != "read");

    [NginxFact]
    public async Task Webhooks_to_either_node_or_through_nginx_are_stored_once_answered_once_and_due_messages_fire_once()
    {
        var watch = Stopwatch.StartNew();
        HttpClient[] entries = [cluster.DirectA, cluster.DirectB, cluster.ViaNginx];
        string[] entryNames = ["node A", "node B", "nginx"];

        // Messages due a few seconds from now, scheduled through all three doors; both nodes' schedulers are running.
        var scheduled = new List<string>();
        var n = 0;
        foreach (var (tenantId, _, conversations) in cluster.WebhookTenants)
            foreach (var conversationId in conversations)
            {
                var text = "recordatorio " + Guid.NewGuid().ToString("N")[..8];
                var at = DateTimeOffset.FromUnixTimeSeconds(DateTimeOffset.UtcNow.ToUnixTimeSeconds() + 5 + n % 4);
                using var request = new HttpRequestMessage(HttpMethod.Post, $"/api/v1/tenants/{tenantId}/conversations/{conversationId}/scheduled")
                {
                    Content = JsonContent.Create(new { at, text }),
                };
                request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", ConsoleAppFactory.PlatformKey);
                using var response = await entries[n++ % 3].SendAsync(request);
                Assert.Equal(HttpStatusCode.Created, response.StatusCode);
                scheduled.Add(text);
            }

        // Customers write (a burst of two messages in one signed delivery) through one door; Meta redelivers the same
        // delivery through another, as it does when an answer is slow or lost.
        var customers = Enumerable.Range(0, 18).Select(i =>
        {
            var (tenantId, phoneNumberId, _) = cluster.WebhookTenants[i % cluster.WebhookTenants.Count];
            return (PhoneNumberId: phoneNumberId, WaId: "52155" + (20000000 + i * 104729 % 79999999).ToString(CultureInfo.InvariantCulture),
                Wamids: new[] { "wamid." + Guid.NewGuid().ToString("N"), "wamid." + Guid.NewGuid().ToString("N") }, Door: i % 3);
        }).ToList();
        var answers = await Task.WhenAll(customers.Select(async c =>
        {
            var body = Deliveries.WhatsAppBatch(c.Wamids.Select((w, i) => (c.PhoneNumberId, c.WaId, w, $"hola {i} de {c.WaId}", DateTimeOffset.UtcNow, (string?)"Cliente"))
                .ToArray());
            using var first = await new WebhookClient(entries[c.Door]).PostMetaAsync("whatsapp", body);
            using var again = await new WebhookClient(entries[(c.Door + 1) % 3]).PostMetaAsync("whatsapp", body);
            return (first.StatusCode, again.StatusCode);
        }));
        Assert.All(answers, a => Assert.Equal((HttpStatusCode.OK, HttpStatusCode.OK), a));

        await using var db = await cluster.OpenDatabaseAsync();
        var wamids = customers.SelectMany(c => c.Wamids).ToArray();
        await Eventually.TrueAsync(async () =>
        {
            var replies = await RepliesPerCustomerAsync(db);
            var fired = await ScalarAsync(db, $"SELECT count(*) FROM scheduled_items WHERE status <> '{nameof(ScheduledItemStatus.Pending)}'");
            return customers.All(c => replies.GetValueOrDefault(c.WaId) >= 1) && fired >= scheduled.Count
                && customers.All(c => SendsTo(c.WaId) >= 1) && cluster.Graph.WebhooksInFlight == 0 && await LeftOverAsync(db) == 0;
        }, "every burst answered, every scheduled message fired and every queue empty", Generous);

        var storedRows = await ScalarAsync(db, "SELECT count(*) FROM messages WHERE external_id = ANY(@ids)", ("ids", wamids));
        var stored = await ScalarAsync(db, "SELECT count(DISTINCT external_id) FROM messages WHERE external_id = ANY(@ids)", ("ids", wamids));
        var repliesPer = await RepliesPerCustomerAsync(db);
        var fired = await ScalarAsync(db, $"SELECT count(*) FROM scheduled_items WHERE status = '{nameof(ScheduledItemStatus.Done)}'");
        var scheduledSends = scheduled.Select(text => cluster.Graph.Sends.Count(s => s.Body?["text"]?["body"]?.GetValue<string>() == text)).ToList();
        var spread = cluster.Proxy.AccessLog().Where(l => l.Request.StartsWith("POST /webhooks/", StringComparison.Ordinal))
            .GroupBy(l => l.Upstream == $"127.0.0.1:{cluster.A.Port}" ? "node A" : l.Upstream == $"127.0.0.1:{cluster.B.Port}" ? "node B" : l.Upstream)
            .OrderBy(g => g.Key).Select(g => $"{g.Key} {g.Count()}");
        Report($"""
            cluster webhooks: {customers.Count} customers x 2 messages, each delivery posted twice ({string.Join(", ", entryNames)} in turn), {watch.Elapsed.TotalSeconds:0.0} s
              messages stored: {storedRows} rows for {stored} distinct wamids (of {wamids.Length}); bot replies per customer: {string.Join(",", customers.Select(c => repliesPer.GetValueOrDefault(c.WaId)).Distinct())}
              sends at the fake Graph API per customer: {string.Join(",", customers.Select(c => SendsTo(c.WaId)).Distinct())}; scheduled messages {scheduled.Count}, done {fired}, sends each: {string.Join(",", scheduledSends.Distinct())}
              webhooks (incl. Meta's statuses) nginx sent to: {string.Join(", ", spread)}
            """);

        Assert.Equal(wamids.Length, stored);    // every delivery answered 200 is stored
        Assert.Equal(stored, storedRows);        // once, though it came twice through two nodes
        Assert.All(customers, c => Assert.Equal(1, repliesPer.GetValueOrDefault(c.WaId))); // one agent turn per burst
        Assert.All(customers, c => Assert.Equal(1, SendsTo(c.WaId)));                     // sent once at the channel
        Assert.Equal(scheduled.Count, fired);
        Assert.All(scheduledSends, s => Assert.Equal(1, s));                              // each due message fired once
        Assert.Equal(0, await LeftOverAsync(db));
        // Both nodes are alive under their own names (Nodes:Name), as the command center lists them.
        var nodes = await ScalarAsync(db, "SELECT count(DISTINCT split_part(node_id, '-', 2)) FROM cluster_nodes WHERE node_id LIKE 'node-a-%' OR node_id LIKE 'node-b-%'");
        Assert.Equal(2, nodes);
    }

    [NginxFact]
    public async Task A_node_killed_mid_turn_has_the_turn_finished_by_the_other_with_exactly_one_reply()
    {
        await using var db = await cluster.OpenDatabaseAsync();
        // Nothing else in flight: the held answers below are this customer's.
        await Eventually.TrueAsync(async () => await LeftOverAsync(db) == 0, "the cluster to be idle", Generous);
        var text = "Con gusto, ¿qué día te acomoda? " + Guid.NewGuid().ToString("N")[..6];
        var holdA = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var holdB = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var seenA = cluster.LlmA.ReplyRequests.Count;
        var seenB = cluster.LlmB.ReplyRequests.Count;
        // Whichever node claims the turn finds its model slow: the answer is held until released.
        cluster.LlmA.Reply(new LlmAnswer(Text: text, Hold: holdA));
        cluster.LlmB.Reply(new LlmAnswer(Text: text, Hold: holdB));

        var waId = "52155" + Random.Shared.Next(10000000, 99999999).ToString(CultureInfo.InvariantCulture);
        using var posted = await new WebhookClient(cluster.ViaNginx).PostMetaAsync("whatsapp",
            Deliveries.WhatsAppText(cluster.KillTenant.PhoneNumberId, waId, "wamid." + Guid.NewGuid().ToString("N"), "Hola, quiero una cita", DateTimeOffset.UtcNow));
        Assert.Equal(HttpStatusCode.OK, posted.StatusCode);
        await Eventually.TrueAsync(() => Task.FromResult(cluster.LlmA.ReplyRequests.Count > seenA || cluster.LlmB.ReplyRequests.Count > seenB),
            "a node to claim the turn and call its model", Generous);
        var onA = cluster.LlmA.ReplyRequests.Count > seenA;
        var (victim, survivor, survivorHold, survivorLlm, seenSurvivor) = onA
            ? (cluster.A, cluster.B, holdB, cluster.LlmB, seenB)
            : (cluster.B, cluster.A, holdA, cluster.LlmA, seenA);
        Assert.Equal(0L, await ScalarAsync(db, $"SELECT count(*) FROM messages WHERE sender = '{nameof(MessageSender.Bot)}' AND conversation_id IN " +
            "(SELECT c.id FROM conversations c JOIN contact_identities i ON i.contact_id = c.contact_id WHERE i.value = @w)", ("w", waId)));

        var killed = Stopwatch.StartNew();
        victim.Kill();
        survivorHold.SetResult(); // the other node's model answers at once
        var replies = await Eventually.GetAsync(async () => (await RepliesPerCustomerAsync(db)).GetValueOrDefault(waId), r => r >= 1,
            "the other node to finish the turn", Generous);
        var takeover = killed.Elapsed;
        await Eventually.TrueAsync(async () => SendsTo(waId) >= 1 && cluster.Graph.WebhooksInFlight == 0 && await LeftOverAsync(db) == 0,
            "the reply to be sent and settled", Generous);

        // The killed node comes back (the next tests want both), and nothing of the turn happens again.
        var restart = await victim.StartAsync(TimeSpan.FromMinutes(3));
        await Eventually.TrueAsync(async () => await LeftOverAsync(db) == 0, "the cluster to be idle after the restart", Generous);
        var finalReplies = (await RepliesPerCustomerAsync(db)).GetValueOrDefault(waId);
        Report($"""
            cluster node killed mid-turn: {(onA ? "node A" : "node B")} SIGKILLed while its model call was held
              the other node replied {takeover.TotalSeconds:0.0} s after the kill (Agent:LeaseSeconds = 5); replies: {finalReplies}; sends at the channel: {SendsTo(waId)}
              killed node ready again after {restart.TotalSeconds:0.0} s
            """);

        Assert.Equal(1, replies);
        Assert.Equal(1, finalReplies);
        Assert.Equal(1, SendsTo(waId));
        Assert.Equal(seenSurvivor + 1, survivorLlm.ReplyRequests.Count);
        var send = cluster.Graph.Sends.Single(s => s.Body?["to"]?.GetValue<string>() == waId);
        Assert.Equal(text, send.Body!["text"]!["body"]!.GetValue<string>());
        Assert.True(survivor.Running);
    }

    /// <summary>Affinity cookie values nginx hashes onto node A and onto node B, found by asking (the access log says who answered).</summary>
    private async Task<(string ForA, string ForB)> AffinityValuesAsync()
    {
        // A browser's first request has no cookie: nginx routes it on the value of the cookie it then sets, so the
        // first page lands on the node every later request of that browser will reach.
        using (var first = await cluster.ViaNginx.GetAsync("/health/live"))
        {
            var set = first.Headers.GetValues("Set-Cookie").Single(c => c.StartsWith("console_affinity=", StringComparison.Ordinal));
            var value = set["console_affinity=".Length..set.IndexOf(';')];
            Assert.Contains(cluster.Proxy.AccessLog(), l => l.Affinity == value && l.Request.StartsWith("GET /health/live", StringComparison.Ordinal));
        }
        var probes = Enumerable.Range(0, 16).Select(_ => "probe" + Guid.NewGuid().ToString("N")[..12]).ToList();
        foreach (var probe in probes)
        {
            using var request = new HttpRequestMessage(HttpMethod.Get, "/health/live");
            request.Headers.Add("Cookie", $"console_affinity={probe}");
            using var response = await cluster.ViaNginx.SendAsync(request);
            response.EnsureSuccessStatusCode();
        }
        var log = cluster.Proxy.AccessLog().Where(l => probes.Contains(l.Affinity)).ToList();
        var forA = log.FirstOrDefault(l => l.Upstream == $"127.0.0.1:{cluster.A.Port}")?.Affinity;
        var forB = log.FirstOrDefault(l => l.Upstream == $"127.0.0.1:{cluster.B.Port}")?.Affinity;
        Assert.True(forA is not null && forB is not null, "16 random affinity values all hashed onto one node");
        return (forA!, forB!);
    }

    /// <summary>A browser signed in through nginx, pinned by its affinity cookie before its first request.</summary>
    private async Task<IPage> SignInPinnedAsync(string affinity, string returnUrl, int width, int height)
    {
        var context = await browser.NewContextAsync(new BrowserNewContextOptions
        {
            BaseURL = cluster.Proxy.BaseAddress.ToString(), Locale = "es-MX", ViewportSize = new ViewportSize { Width = width, Height = height },
        });
        await context.AddCookiesAsync([new Microsoft.Playwright.Cookie { Name = "console_affinity", Value = affinity, Url = cluster.Proxy.BaseAddress.ToString() }]);
        var page = await context.NewPageAsync();
        await page.GotoAsync($"/Account/Login?returnUrl={Uri.EscapeDataString(returnUrl)}");
        await page.GetByLabel("Correo electrónico").FillAsync(cluster.LiveTenant.OwnerEmail);
        await page.GetByLabel("Contraseña").FillAsync(ClusterFixture.OwnerPassword);
        await page.GetByRole(AriaRole.Button, new() { Name = "Entrar" }).ClickAsync();
        await page.WaitForURLAsync("**" + returnUrl);
        await page.Locator("#console-ready").WaitForAsync(new() { State = WaitForSelectorState.Attached });
        return page;
    }

    private static async Task<TimeSpan> SeenAsync(IPage page, string text, Stopwatch since)
    {
        await page.WaitForFunctionAsync("t => document.body.innerText.includes(t)", text, new() { PollingInterval = 25, Timeout = 60_000 });
        return since.Elapsed;
    }

    private async Task<Guid> ConversationOfAsync(NpgsqlConnection db, string waId) => await Eventually.GetAsync(async () =>
    {
        await using var cmd = new NpgsqlCommand("SELECT c.id FROM conversations c JOIN contact_identities i ON i.contact_id = c.contact_id WHERE i.value = @w", db);
        cmd.Parameters.AddWithValue("w", waId);
        return await cmd.ExecuteScalarAsync() as Guid?;
    }, id => id is not null, "the conversation") ?? Guid.Empty;

    private static string Millis(IEnumerable<TimeSpan> values) => string.Join(", ", values.Select(v => v.TotalMilliseconds.ToString("0", CultureInfo.InvariantCulture)));

    [NginxFact]
    public async Task Browsers_pinned_to_each_node_see_the_other_nodes_changes_live_and_a_circuit_stays_on_its_node()
    {
        var (forA, forB) = await AffinityValuesAsync();
        var onA = await SignInPinnedAsync(forA, "/inbox", 1366, 800);
        var onB = await SignInPinnedAsync(forB, "/inbox", 390, 844); // the other operator on a phone
        await using var db = await cluster.OpenDatabaseAsync();
        var webhooksIntoA = new WebhookClient(cluster.DirectA);
        var waId = "52155" + Random.Shared.Next(10000000, 99999999).ToString(CultureInfo.InvariantCulture);
        var (tenantPhone, name) = (cluster.LiveTenant.PhoneNumberId, "Lucía Nodo " + Guid.NewGuid().ToString("N")[..4]);

        // A customer nobody has seen writes, into node A: the operator on node B sees the new conversation in the list.
        var clock = Stopwatch.StartNew();
        using (var first = await webhooksIntoA.PostMetaAsync("whatsapp", Deliveries.WhatsAppText(tenantPhone, waId, "wamid." + Guid.NewGuid().ToString("N"),
                   "Hola, ¿atienden hoy?", DateTimeOffset.UtcNow, name)))
            Assert.Equal(HttpStatusCode.OK, first.StatusCode);
        var newConversation = await SeenAsync(onB, name, clock);
        await Assertions.Expect(onB.GetByTestId("conversation-row").Filter(new() { HasText = name })).ToBeVisibleAsync();

        // Both open it; each further customer message (into node A) shows in the open conversation on node B.
        var conversation = await ConversationOfAsync(db, waId);
        await onA.GotoAsync($"/inbox/{conversation}");
        await onB.GotoAsync($"/inbox/{conversation}");
        await onA.Locator("#console-ready").WaitForAsync(new() { State = WaitForSelectorState.Attached });
        await onB.Locator("#console-ready").WaitForAsync(new() { State = WaitForSelectorState.Attached });
        var toB = new List<TimeSpan>();
        for (var i = 0; i < 5; i++)
        {
            var text = $"Mensaje {i} por el nodo A {Guid.NewGuid().ToString("N")[..6]}";
            clock.Restart();
            using var response = await webhooksIntoA.PostMetaAsync("whatsapp", Deliveries.WhatsAppText(tenantPhone, waId, "wamid." + Guid.NewGuid().ToString("N"),
                text, DateTimeOffset.UtcNow, name));
            Assert.Equal(HttpStatusCode.OK, response.StatusCode);
            toB.Add(await SeenAsync(onB, text, clock));
        }
        await Assertions.Expect(onB.GetByTestId("chat-timeline").GetByText("Mensaje 4 por el nodo A", new() { Exact = false })).ToBeVisibleAsync();

        // The operator on node B answers: the one on node A sees the reply without reloading.
        var toA = new List<TimeSpan>();
        for (var i = 0; i < 3; i++)
        {
            var reply = $"Sí, hasta las 19:00 ({i}) {Guid.NewGuid().ToString("N")[..6]}";
            await onB.GetByLabel("Escribe un mensaje").FillAsync(reply);
            clock.Restart();
            await onB.GetByRole(AriaRole.Button, new() { Name = "Enviar", Exact = true }).ClickAsync();
            toA.Add(await SeenAsync(onA, reply, clock));
            await Assertions.Expect(onA.GetByTestId("message").Filter(new() { HasText = reply })).ToBeVisibleAsync();
        }
        await onB.ScreenshotAsync(new() { Path = BrowserFixture.ScreenshotPath("cluster-node-b-phone-es.png") });
        await onA.ScreenshotAsync(new() { Path = BrowserFixture.ScreenshotPath("cluster-node-a-desktop-es.png") });

        // Sticky: every request of each browser (pages, negotiate, the circuit's WebSocket) reached its own node. A
        // WebSocket is logged when it closes: close the browsers first.
        await onA.Context.CloseAsync();
        await onB.Context.CloseAsync();
        var nodeOf = new Dictionary<string, string> { [forA] = $"127.0.0.1:{cluster.A.Port}", [forB] = $"127.0.0.1:{cluster.B.Port}" };
        var log = await Eventually.GetAsync(() => Task.FromResult(cluster.Proxy.AccessLog().Where(l => nodeOf.ContainsKey(l.Affinity)).ToList()),
            l => nodeOf.Keys.All(a => l.Any(x => x.Affinity == a && x.Status == 101 && x.Request.StartsWith("GET /_blazor?id=", StringComparison.Ordinal))),
            "both circuits' WebSockets in nginx's access log", Generous);
        var perBrowser = log.GroupBy(l => l.Affinity).ToDictionary(g => g.Key, g => g.ToList());
        Report($"""
            cluster live updates (browser on node A, browser on node B, through nginx):
              new conversation from a webhook into node A on node B's inbox list: {newConversation.TotalMilliseconds:0} ms
              customer message into node A → open conversation on node B (ms, 5 runs): {Millis(toB)}
              operator reply sent on node B → node A's screen (ms, 3 runs): {Millis(toA)}
              requests through nginx: browser A {perBrowser[forA].Count} (all to {string.Join(",", perBrowser[forA].Select(l => l.Upstream).Distinct())}), browser B {perBrowser[forB].Count} (all to {string.Join(",", perBrowser[forB].Select(l => l.Upstream).Distinct())}); WebSockets: {log.Count(l => l.Status == 101)}
            """);

        foreach (var (affinity, lines) in perBrowser)
        {
            Assert.All(lines, l => Assert.Equal(nodeOf[affinity], l.Upstream));
            Assert.Contains(lines, l => l.Request.StartsWith("POST /_blazor/negotiate", StringComparison.Ordinal));
            // One attempt per request: nginx never had to try another node.
            Assert.All(lines, l => Assert.Single(l.Upstreams));
        }
    }
}
