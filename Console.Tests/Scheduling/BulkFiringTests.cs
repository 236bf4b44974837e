using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using OperatorConsole.Domain.Conversations;
using OperatorConsole.Infrastructure.Inbox;
using OperatorConsole.Infrastructure.Scheduling;
using OperatorConsole.Tests.Support;
using Quartz;

namespace OperatorConsole.Tests.Scheduling;

/// <summary>Two nodes on one database whose scheduled items run 20 to a batch (so a few dozen items make several batches).</summary>
public sealed class BulkFiringNodes : IAsyncLifetime
{
    private static readonly Dictionary<string, string?> Settings = new() { ["Scheduler:BatchSize"] = "20" };

    public NodeAppFactory A { get; } = new(null, Settings);
    public NodeAppFactory B { get; private set; } = default!;

    public async Task InitializeAsync()
    {
        await A.InitializeAsync();
        B = new NodeAppFactory(A.Database, Settings);
        await B.InitializeAsync();
    }

    public async Task DisposeAsync()
    {
        await B.DisposeAsync();
        await A.DisposeAsync();
    }
}

/// <summary>
/// Items due in the same second share one Quartz trigger and run in batches (one tenant and one transaction per batch,
/// SKIP LOCKED between the nodes' firings), each once; a cancelled one is not claimed, one the database refuses does not
/// hold back the rest of its batch, and a per-item trigger stored before this change still fires its item.
/// Real time and the real clustered store; the test waits for the database, never sleeps.
/// </summary>
public class BulkFiringTests(BulkFiringNodes nodes) : IClassFixture<BulkFiringNodes>
{
    private static readonly TimeSpan Generous = TimeSpan.FromSeconds(45);

    private static ScheduledItems Items(ConsoleAppFactory node) => node.Services.GetRequiredService<ScheduledItems>();

    [Fact]
    public async Task Items_due_in_one_second_across_two_tenants_go_once_each_and_a_cancelled_one_not_at_all()
    {
        var first = await nodes.A.TenantAsync();
        var second = await nodes.A.TenantAsync();
        var firstConversations = await ConversationsAsync(first.Id, 3);
        var secondConversations = await ConversationsAsync(second.Id, 2);
        // Whole batches and a short last one in the first workspace, two batches in the other.
        var at = ScheduledItems.SecondOf(DateTimeOffset.UtcNow.AddSeconds(7)).AddMilliseconds(-300);
        var items = (await AddMessagesAsync(first.Id, firstConversations, 45, at)).Concat(await AddMessagesAsync(second.Id, secondConversations, 30, at)).ToList();
        // Every item asks for its second's trigger, half of them through the other node, all at once: one trigger results.
        await Task.WhenAll(items.Select((i, k) => Items(k % 2 == 0 ? nodes.A : nodes.B).TriggerAsync(i.TenantId, i.Id, i.At, default)));
        if (DateTimeOffset.UtcNow < at.AddSeconds(-1)) Assert.Equal(1L, await TriggerCountAsync(ScheduledItems.TriggerKeyFor(at)));
        var cancelled = items[7];
        await Items(nodes.B).CancelAsync(InboxActor.Integration(cancelled.TenantId), cancelled.ConversationId, cancelled.Id);

        var settled = await Eventually.GetAsync(() => RowsAsync(items), rows => rows.All(r => r.Status != ScheduledItemStatus.Pending),
            "every item to settle", Generous);
        await QuartzProbe.WaitUntilDoneWithAsync(nodes.A.OwnerConnectionString, ScheduledItems.TriggerKeyFor(at), Generous);

        Assert.Equal(ScheduledItemStatus.Cancelled, settled.Single(r => r.Id == cancelled.Id).Status);
        var sent = settled.Where(r => r.Id != cancelled.Id).ToList();
        Assert.All(sent, r => Assert.Equal(ScheduledItemStatus.Done, r.Status));
        Assert.All(sent, r => Assert.True(r.SettledAt >= r.At, "sent before its time"));
        foreach (var tenant in new[] { first.Id, second.Id })
        {
            await using var work = nodes.A.Scopes.ForTenant(tenant);
            var messages = await work.Db.Messages.AsNoTracking().Where(m => m.Direction == MessageDirection.Outbound)
                .Select(m => new { m.Id, m.Body }).ToListAsync();
            var mine = sent.Where(r => r.TenantId == tenant).ToList();
            // Each item once: as many messages as items, each the message its item points to, with its text.
            Assert.Equal(mine.Count, messages.Count);
            Assert.Equal(mine.Select(r => r.MessageId!.Value).Order(), messages.Select(m => m.Id).Order());
            Assert.All(mine, r => Assert.Equal(r.Text, messages.Single(m => m.Id == r.MessageId).Body));
        }
        Assert.Equal(items.Count - 1, await OutboundAcrossTenantsAsync(first.Id, second.Id));
    }

    [Fact]
    public async Task An_item_the_database_refuses_does_not_hold_back_the_rest_of_its_batch()
    {
        var tenant = await nodes.A.TenantAsync();
        var conversations = await ConversationsAsync(tenant.Id, 2);
        var at = ScheduledItems.SecondOf(DateTimeOffset.UtcNow.AddSeconds(6)).AddMilliseconds(-500);
        var items = await AddMessagesAsync(tenant.Id, conversations, 12, at);
        var refused = items[3];
        var tag = refused.Id.ToString("N")[..12];
        await using var owner = new Npgsql.NpgsqlConnection(nodes.A.OwnerConnectionString);
        await owner.OpenAsync();
        // The database refuses to settle this one row (the way a broken row or a constraint would): its batch's save fails.
        await ExecAsync(owner, $"""
            CREATE FUNCTION refuse_{tag}() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN RAISE EXCEPTION 'refused by the test'; END $$;
            CREATE TRIGGER refuse_{tag} BEFORE UPDATE ON scheduled_items FOR EACH ROW WHEN (OLD.id = '{refused.Id}'::uuid) EXECUTE FUNCTION refuse_{tag}();
            """);
        try
        {
            await Items(nodes.A).TriggerAsync(tenant.Id, items[0].Id, at, default);

            var others = items.Where(i => i.Id != refused.Id).ToList();
            var done = await Eventually.GetAsync(() => RowsAsync(others), rows => rows.All(r => r.Status != ScheduledItemStatus.Pending),
                "the other items to settle", Generous);
            Assert.All(done, r => Assert.Equal(ScheduledItemStatus.Done, r.Status));
            Assert.Equal(others.Count, await OutboundAcrossTenantsAsync(tenant.Id));
            // The refused one stays pending (the sweep tries it again) and the command center hears which it was.
            Assert.Equal(ScheduledItemStatus.Pending, (await RowsAsync([refused])).Single().Status);
            await using var system = nodes.A.Scopes.ForSystem("test");
            await Eventually.TrueAsync(() => system.Db.SystemEvents.AnyAsync(e => e.Source == JobRunListener.Source && e.Details != null
                && e.Details.Contains(refused.Id.ToString())), "the failed item in the event log", Generous);
        }
        finally
        {
            await ExecAsync(owner, $"DROP TRIGGER refuse_{tag} ON scheduled_items; DROP FUNCTION refuse_{tag}();");
            try
            {
                // Off the sweep's list for the tests after this one (unless a retry sent it the moment the refusal went).
                await Items(nodes.A).CancelAsync(InboxActor.Integration(tenant.Id), refused.ConversationId, refused.Id);
            }
            catch (OperatorConsole.Domain.Common.DomainException) { }
        }
    }

    [Fact]
    public async Task A_per_item_trigger_stored_before_items_shared_their_second_still_fires_its_item()
    {
        var tenant = await nodes.A.TenantAsync();
        var conversations = await ConversationsAsync(tenant.Id, 1);
        var at = DateTimeOffset.UtcNow.AddSeconds(4);
        var item = (await AddMessagesAsync(tenant.Id, conversations, 1, at)).Single();
        // What the store held for an item before this change: a job per item, its ids in the job data.
        var key = new TriggerKey(item.Id.ToString("N"), ScheduledItems.Group);
        var job = JobBuilder.Create<FireScheduledItemJob>().WithIdentity(key.Name, key.Group).RequestRecovery()
            .UsingJobData("tenantId", tenant.Id.ToString()).UsingJobData("itemId", item.Id.ToString()).Build();
        var scheduler = await nodes.B.Services.GetRequiredService<ISchedulerFactory>().GetScheduler();
        await scheduler.ScheduleJob(job, TriggerBuilder.Create().WithIdentity(key).ForJob(job).StartAt(at).Build());

        var sent = await Eventually.GetAsync(async () => (await RowsAsync([item])).Single(), r => r.Status != ScheduledItemStatus.Pending,
            "the item to go", Generous);
        await QuartzProbe.WaitUntilDoneWithAsync(nodes.A.OwnerConnectionString, key, Generous);
        Assert.Equal(ScheduledItemStatus.Done, sent.Status);
        Assert.Equal(1, await OutboundAcrossTenantsAsync(tenant.Id));
        // Nothing else could have run it: no trigger was ever set for its second.
        Assert.Equal(0L, await TriggerCountAsync(ScheduledItems.TriggerKeyFor(at)));
    }

    private async Task<List<Conversation>> ConversationsAsync(Guid tenantId, int count)
    {
        var conversations = new List<Conversation>();
        for (var c = 0; c < count; c++) conversations.Add(await nodes.A.ConversationAsync(tenantId, $"Cliente {c}"));
        return conversations;
    }

    /// <summary><paramref name="count"/> messages due at <paramref name="at"/> over the conversations, stored in one save.</summary>
    private async Task<List<ScheduledItem>> AddMessagesAsync(Guid tenantId, List<Conversation> targets, int count, DateTimeOffset at)
    {
        await using var work = nodes.A.Scopes.ForTenant(tenantId);
        var now = DateTimeOffset.UtcNow;
        var items = Enumerable.Range(0, count)
            .Select(i => ScheduledItem.Schedule(targets[i % targets.Count], ScheduledItemKind.Message, at, $"Aviso {i} de {tenantId:N}", null, now)).ToList();
        work.Db.ScheduledItems.AddRange(items);
        await work.Db.SaveChangesAsync();
        return items;
    }

    private async Task<List<ScheduledItem>> RowsAsync(IReadOnlyList<ScheduledItem> items)
    {
        var ids = items.Select(i => i.Id).ToList();
        await using var work = nodes.A.Scopes.ForSystem("test");
        return await work.Db.ScheduledItems.AsNoTracking().Where(i => ids.Contains(i.Id)).ToListAsync();
    }

    private async Task<int> OutboundAcrossTenantsAsync(params Guid[] tenants)
    {
        await using var work = nodes.A.Scopes.ForSystem("test");
        return await work.Db.Messages.CountAsync(m => tenants.Contains(m.TenantId) && m.Direction == MessageDirection.Outbound);
    }

    private async Task<long> TriggerCountAsync(TriggerKey key)
    {
        await using var conn = new Npgsql.NpgsqlConnection(nodes.A.OwnerConnectionString);
        await conn.OpenAsync();
        await using var cmd = new Npgsql.NpgsqlCommand(
            "SELECT count(*) FROM quartz.qrtz_triggers WHERE trigger_group = @g AND trigger_name = @n", conn);
        cmd.Parameters.AddWithValue("g", key.Group);
        cmd.Parameters.AddWithValue("n", key.Name);
        return (long)(await cmd.ExecuteScalarAsync())!;
    }

    private static async Task ExecAsync(Npgsql.NpgsqlConnection conn, string sql)
    {
        await using var cmd = new Npgsql.NpgsqlCommand(sql, conn);
        await cmd.ExecuteNonQueryAsync();
    }
}
