using System.Net;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using Npgsql;
using OperatorConsole.Domain.Contacts;
using OperatorConsole.Infrastructure.Channels.Inbound;
using OperatorConsole.Infrastructure.Data;
using OperatorConsole.Tests.Support;

namespace OperatorConsole.Tests.Channels;

/// <summary>
/// Every webhook batch looks up the customers it mentions by their channel identities. With a business's customers
/// in the table, that lookup must walk the unique (tenant, channel, kind, value) index to the identities asked for,
/// not read every customer of the channel: without the kind in the predicate only (tenant, channel) bound the index,
/// and each batch's cost grew with the channel's customer count. The test fills its own tenant with 3,000
/// identities, has PostgreSQL analyse them, and asks for the plan of the lookup the processor runs.
/// </summary>
public class InboundLookupPlanTests : IAsyncLifetime
{
    private readonly NodeAppFactory _app = new(null, new Dictionary<string, string?> { ["Webhooks:Workers"] = "0", ["Agent:Workers"] = "0" });

    public Task InitializeAsync() => _app.InitializeAsync();

    public async Task DisposeAsync() => await _app.DisposeAsync();

    [Fact]
    public async Task Looking_up_customers_walks_the_unique_index_to_the_identities_asked_for()
    {
        var (tenant, channel) = await ChannelWithHistoryAsync();
        await using var work = _app.Scopes.ForSystem("plan test");

        var conditions = await IndexConditionsAsync(work.Db, InboundLookups.ContactsWithIdentities(work.Db,
            [new(tenant, channel, IdentityKind.WaId, "5215510000017"), new(tenant, channel, IdentityKind.WaId, "5215599999999")]));

        Assert.Contains(conditions, c => c.Contains("value"));
    }

    [Fact]
    public async Task Looking_up_a_batchs_messages_walks_the_unique_index_to_the_ids_asked_for()
    {
        // Every batch asks which of its messages are stored already. Written with EF's Contains, the lookup read all of
        // messages for every batch (its null check defeats the index), so ingest slowed as the table grew.
        var (tenant, channel) = await ChannelWithHistoryAsync();
        await using var work = _app.Scopes.ForSystem("plan test");

        var conditions = await IndexConditionsAsync(work.Db, InboundLookups.MessagesWithIds(work.Db,
            [new(tenant, channel, "wamid.copy17"), new(tenant, channel, "wamid.unknown")]));

        Assert.Contains(conditions, c => c.Contains("external_id"));
        var found = await InboundLookups.MessagesWithIds(work.Db, [new(tenant, channel, "wamid.copy17"), new(tenant, channel, "wamid.unknown")])
            .Select(m => m.ExternalId).ToListAsync();
        Assert.Equal(["wamid.copy17"], found);
    }

    /// <summary>
    /// A channel with one real customer (through the webhook and the processor), then 3,000 more customer identities
    /// and 3,000 more messages copied from its rows, analysed so the planner knows how many there are.
    /// </summary>
    private async Task<(Guid Tenant, Guid Channel)> ChannelWithHistoryAsync()
    {
        var tenant = await _app.TenantAsync();
        var channel = await _app.ChannelAsync(tenant.Id);
        var hooks = new WebhookClient(_app.CreateClient());
        Assert.Equal(HttpStatusCode.OK, (await hooks.PostMetaAsync("whatsapp", Deliveries.WhatsAppText(channel.ExternalId,
            "5215510000000", "wamid." + Guid.NewGuid().ToString("N"), "hola", DateTimeOffset.UtcNow))).StatusCode);
        Assert.Equal(1, (await _app.Services.GetRequiredService<WebhookProcessor>().ProcessBatchAsync(10, CancellationToken.None)).Handled);

        await using var conn = new NpgsqlConnection(_app.OwnerConnectionString);
        await conn.OpenAsync();
        await using var command = new NpgsqlCommand("""
            SET app.platform = 'on';
            INSERT INTO contact_identities
            SELECT (jsonb_populate_record(i, jsonb_build_object('id', gen_random_uuid(), 'value', (5215510000000 + g)::text))).*
            FROM contact_identities i, generate_series(1, 3000) g WHERE i.tenant_id = @tenant;
            INSERT INTO messages
            SELECT (jsonb_populate_record(m, jsonb_build_object('id', gen_random_uuid(), 'external_id', 'wamid.copy' || g))).*
            FROM messages m, generate_series(1, 3000) g WHERE m.tenant_id = @tenant;
            ANALYZE contact_identities;
            ANALYZE messages;
            """, conn);
        command.Parameters.AddWithValue("tenant", tenant.Id);
        await command.ExecuteNonQueryAsync();
        return (tenant.Id, channel.Id);
    }

    /// <summary>The index conditions in the plan PostgreSQL picks for the query (its own SQL and parameters).</summary>
    private static async Task<List<string>> IndexConditionsAsync<T>(AppDbContext db, IQueryable<T> query) =>
        (await QueryPlans.NodesAsync(db, query))
        .Select(node => node.TryGetProperty("Index Cond", out var cond) ? cond.GetString() : null).OfType<string>().ToList();
}
