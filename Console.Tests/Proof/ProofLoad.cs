using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using Microsoft.EntityFrameworkCore;
using Npgsql;
using OperatorConsole.Domain.Channels;
using OperatorConsole.Domain.Conversations;
using OperatorConsole.Tests.Fakes;
using OperatorConsole.Tests.Support;

namespace OperatorConsole.Tests.Proof;

/// <summary>A customer of the proofs' load: writes one burst (two messages in one signed delivery) to a tenant's WhatsApp number.</summary>
public sealed record ProofCustomer(Guid TenantId, string PhoneNumberId, string WaId, string[] Wamids)
{
    public string Burst() => Deliveries.WhatsAppBatch(Wamids.Select((w, i) => (PhoneNumberId, WaId, w, $"hola {i} de {WaId}",
        DateTimeOffset.UtcNow, (string?)"Cliente")).ToArray());
}

/// <summary>A scheduled message of the proofs (due at a chosen moment), on a conversation of its own.</summary>
public sealed record ProofScheduled(Guid TenantId, Guid ConversationId, string Text, DateTimeOffset At);

/// <summary>
/// What the crash and outage proofs share: the workspace (tenants whose agent answers at once, their customers and
/// conversations for scheduled messages), the load as Meta sends it (signed, retried with backoff until answered 200),
/// and the ledger read back from the database and the fake Graph API afterwards.
/// </summary>
public static class ProofLoad
{
    /// <summary>
    /// Tenants, channels and agent settings through an in-process app on the database, which is gone before the real
    /// process starts. <paramref name="connection"/>: settings that point it at another cluster than the suite's.
    /// </summary>
    public static async Task<(List<ProofCustomer> Customers, List<(Guid TenantId, Guid ConversationId)> ScheduledOn)> ProvisionAsync(
        string database, int customerCount, int scheduledCount, int tenants, IReadOnlyDictionary<string, string?>? connection = null)
    {
        var settings = new Dictionary<string, string?>
        {
            ["Agent:Workers"] = "0", ["Outbound:Workers"] = "0", ["Webhooks:Workers"] = "0", ["Scheduler:Enabled"] = "false",
            ["Live:CrossNode"] = "false",
        };
        foreach (var (key, value) in connection ?? new Dictionary<string, string?>()) settings[key] = value;
        await using var setup = new NodeAppFactory(database, settings);
        await setup.InitializeAsync();
        var customers = new List<ProofCustomer>();
        var scheduledOn = new List<(Guid, Guid)>();
        for (var t = 0; t < tenants; t++)
        {
            var owner = await TestCustomer.CreateAsync(setup, bufferSeconds: 1);
            for (var i = t; i < customerCount; i += tenants)
                customers.Add(new ProofCustomer(owner.TenantId, owner.PhoneNumberId, "52155" + (10000000 + i * 7919 % 89999999 + t).ToString(CultureInfo.InvariantCulture),
                    ["wamid." + Guid.NewGuid().ToString("N"), "wamid." + Guid.NewGuid().ToString("N")]));
            Channel channel;
            await using (var work = setup.Scopes.ForTenant(owner.TenantId))
                channel = await work.Db.Channels.AsNoTracking().SingleAsync();
            for (var i = t; i < scheduledCount; i += tenants)
            {
                var conversation = await setup.ConversationAsync(owner.TenantId, "Agenda " + i, "hola", channel, "52166" + (10000000 + i).ToString(CultureInfo.InvariantCulture));
                scheduledOn.Add((owner.TenantId, conversation.Id));
            }
        }
        return (customers, scheduledOn);
    }

    /// <summary>A scheduled message on each conversation, due at <paramref name="at"/>(i) (rounded up to whole seconds), through the app's REST API.</summary>
    public static async Task<List<ProofScheduled>> ScheduleAsync(HttpClient http, IReadOnlyList<(Guid TenantId, Guid ConversationId)> on, Func<int, DateTimeOffset> at)
    {
        var scheduled = new List<ProofScheduled>();
        for (var i = 0; i < on.Count; i++)
        {
            var (tenantId, conversationId) = on[i];
            var text = "recordatorio " + Guid.NewGuid().ToString("N")[..8];
            var seconds = at(i).ToUnixTimeSeconds();
            var due = DateTimeOffset.FromUnixTimeSeconds(DateTimeOffset.FromUnixTimeSeconds(seconds) < at(i) ? seconds + 1 : seconds);
            using var request = new HttpRequestMessage(HttpMethod.Post, $"/api/v1/tenants/{tenantId}/conversations/{conversationId}/scheduled")
            {
                Content = JsonContent.Create(new { at = due, text }),
            };
            request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", ConsoleAppFactory.PlatformKey);
            using var response = await http.SendAsync(request);
            Assert.Equal(HttpStatusCode.Created, response.StatusCode);
            scheduled.Add(new ProofScheduled(tenantId, conversationId, text, due));
        }
        return scheduled;
    }

    /// <summary>
    /// Posts the customer's burst like Meta: signed, and retried with backoff (200 ms doubling to 2 s) until the app
    /// answers 200. <paramref name="sending"/> hears each attempt go out, <paramref name="answered"/> its status (null: no
    /// answer, the connection failed).
    /// </summary>
    public static async Task PostUntilAcceptedAsync(HttpClient http, ProofCustomer customer, Action<HttpStatusCode?> answered, Action? sending = null)
    {
        var body = customer.Burst();
        var wait = TimeSpan.FromMilliseconds(200);
        while (true)
        {
            HttpStatusCode? status = null;
            sending?.Invoke();
            try
            {
                using var response = await new WebhookClient(http).PostMetaAsync("whatsapp", body);
                status = response.StatusCode;
            }
            catch (Exception ex) when (ex is HttpRequestException or TaskCanceledException or IOException)
            {
                // No answer: the process is down or was killed mid-request.
            }
            answered(status);
            if (status == HttpStatusCode.OK) return;
            await Task.Delay(wait);
            wait = TimeSpan.FromMilliseconds(Math.Min(wait.TotalMilliseconds * 2, 2000));
        }
    }

    /// <summary>A connection to the database as its superuser (row-level security does not hide other tenants' rows from it).</summary>
    public static async Task<NpgsqlConnection> OpenAdminAsync(string adminConnectionString, string database)
    {
        var db = new NpgsqlConnection(new NpgsqlConnectionStringBuilder(adminConnectionString) { Database = database, Pooling = false }.ConnectionString);
        await db.OpenAsync();
        return db;
    }

    /// <summary>Every burst answered by the agent, every scheduled message handled, and nothing left claimed or due.</summary>
    public static async Task<bool> DrainedAsync(NpgsqlConnection db, int customers, int scheduled)
    {
        var answered = await ScalarAsync(db, $"""
            SELECT count(DISTINCT m.conversation_id) FROM messages m
            WHERE m.sender = '{nameof(MessageSender.Bot)}' AND m.status <> '{nameof(DeliveryStatus.Queued)}'
            """);
        var fired = await ScalarAsync(db, $"SELECT count(*) FROM scheduled_items WHERE status <> '{nameof(ScheduledItemStatus.Pending)}'");
        return answered >= customers && fired >= scheduled && await LeftOverAsync(db) == 0;
    }

    /// <summary>Work still claimed, due or unprocessed: deliveries, turns, sends, scheduled items.</summary>
    public static async Task<long> LeftOverAsync(NpgsqlConnection db) =>
        await ScalarAsync(db, $"SELECT count(*) FROM webhook_deliveries WHERE state IN ('{nameof(DeliveryState.Pending)}', '{nameof(DeliveryState.Failed)}')")
        + await ScalarAsync(db, "SELECT count(*) FROM conversations WHERE agent_due_at IS NOT NULL OR agent_lease_id IS NOT NULL")
        + await ScalarAsync(db, $"SELECT count(*) FROM messages WHERE direction = '{nameof(MessageDirection.Outbound)}' AND status = '{nameof(DeliveryStatus.Queued)}'")
        + await ScalarAsync(db, $"SELECT count(*) FROM scheduled_items WHERE status = '{nameof(ScheduledItemStatus.Pending)}'");

    public static async Task<long> ScalarAsync(NpgsqlConnection db, string sql, params (string Name, object Value)[] parameters)
    {
        await using var cmd = new NpgsqlCommand(sql, db);
        foreach (var (name, value) in parameters) cmd.Parameters.AddWithValue(name, value);
        return Convert.ToInt64(await cmd.ExecuteScalarAsync(), CultureInfo.InvariantCulture);
    }

    /// <summary>Reads what the database and the fake Graph API hold about the run.</summary>
    public static async Task<ProofLedger> LedgerAsync(NpgsqlConnection db, FakeGraphApi graph, IReadOnlyList<ProofCustomer> customers,
        IReadOnlyList<ProofScheduled> scheduled)
    {
        var wamids = customers.SelectMany(c => c.Wamids).ToArray();
        var sendsTo = graph.Sends.Where(s => s.Body?["status"]?.GetValue<string>() != "read")
            .GroupBy(s => s.Body?["to"]?.GetValue<string>() ?? "").ToDictionary(g => g.Key, g => g.Count());
        var sendsOf = scheduled.ToDictionary(s => s.Text, s => graph.Sends.Count(x => x.Body?["text"]?["body"]?.GetValue<string>() == s.Text));
        var repliesPer = new Dictionary<string, int>();
        await using (var cmd = new NpgsqlCommand($"""
            SELECT i.value, count(m.id) FROM contact_identities i
            JOIN conversations c ON c.contact_id = i.contact_id
            JOIN messages m ON m.conversation_id = c.id AND m.sender = '{nameof(MessageSender.Bot)}'
            GROUP BY i.value
            """, db))
        await using (var reader = await cmd.ExecuteReaderAsync())
            while (await reader.ReadAsync()) repliesPer[reader.GetString(0)] = (int)reader.GetInt64(1);
        return new ProofLedger(
            Expected: wamids.Length,
            Stored: await ScalarAsync(db, "SELECT count(DISTINCT external_id) FROM messages WHERE external_id = ANY(@ids)", ("ids", wamids)),
            StoredRows: await ScalarAsync(db, "SELECT count(*) FROM messages WHERE external_id = ANY(@ids)", ("ids", wamids)),
            RepliesPerCustomer: customers.ToDictionary(c => c.WaId, c => repliesPer.GetValueOrDefault(c.WaId)),
            SendsPerCustomer: customers.ToDictionary(c => c.WaId, c => sendsTo.GetValueOrDefault(c.WaId)),
            SendsPerScheduled: sendsOf,
            Fired: await ScalarAsync(db, $"SELECT count(*) FROM scheduled_items WHERE status = '{nameof(ScheduledItemStatus.Done)}'"),
            Orphans: await ScalarAsync(db, """
                SELECT (SELECT count(*) FROM messages m WHERE NOT EXISTS (SELECT 1 FROM conversations c WHERE c.id = m.conversation_id))
                     + (SELECT count(*) FROM conversations c WHERE NOT EXISTS (SELECT 1 FROM contacts k WHERE k.id = c.contact_id))
                """),
            LeftOver: await LeftOverAsync(db));
    }
}

/// <summary>The database and the channel after a proof run, and the promises checked against them.</summary>
public sealed record ProofLedger(int Expected, long Stored, long StoredRows, IReadOnlyDictionary<string, int> RepliesPerCustomer,
    IReadOnlyDictionary<string, int> SendsPerCustomer, IReadOnlyDictionary<string, int> SendsPerScheduled, long Fired, long Orphans, long LeftOver)
{
    public int Replies => RepliesPerCustomer.Values.Sum();
    public int Sends => SendsPerCustomer.Values.Sum() + SendsPerScheduled.Values.Sum();
    public int Duplicates => SendsPerCustomer.Values.Sum(n => Math.Max(0, n - 1)) + SendsPerScheduled.Values.Sum(n => Math.Max(0, n - 1));

    /// <summary>Every delivery answered 200 stored once, one reply per burst sent once, every scheduled message fired and sent once, nothing half-written or left over.</summary>
    public void AssertNothingLostOrDoubled()
    {
        Assert.Equal(Expected, Stored);          // every delivery answered 200 is stored
        Assert.Equal(Stored, StoredRows);        // once
        Assert.All(RepliesPerCustomer, r => Assert.Equal(1, r.Value)); // one reply per burst
        Assert.All(SendsPerCustomer, s => Assert.Equal(1, s.Value));   // sent once at the channel
        Assert.All(SendsPerScheduled, s => Assert.Equal(1, s.Value));  // each scheduled message sent once
        Assert.Equal(0, Duplicates);
        Assert.Equal(SendsPerScheduled.Count, Fired);
        Assert.Equal(0, Orphans);
        Assert.Equal(0, LeftOver);
    }
}
