using System.Diagnostics;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Time.Testing;
using OperatorConsole.Infrastructure.Agent;
using OperatorConsole.Tests.Support;

namespace OperatorConsole.Tests.Agent;

/// <summary>
/// The per-node cache of what every turn reads (profile, tools, has-knowledge): a change on this node is seen by the
/// next turn, a change on another node within the cache time, and a turn never waits for a reload of a cached entry.
/// </summary>
public class AgentSettingsCacheTests(ConsoleAppFactory app) : IClassFixture<ConsoleAppFactory>
{
    private AgentProfiles Node(TimeProvider clock) =>
        new(app.Services.GetRequiredService<AgentBuffers>(), app.Scopes, app.Services.GetRequiredService<ModelAllowlist>(), clock,
            NullLogger<AgentProfiles>.Instance);

    private async Task<string> PromptAsync(AgentProfiles node, Guid tenantId)
    {
        await using var work = app.Scopes.ForTenant(tenantId);
        return (await node.GetTurnSettingsAsync(work.Db, tenantId, default)).Profile.Settings.SystemPrompt;
    }

    private async Task ChangePromptAsync(AgentProfiles node, Guid tenantId, string prompt)
    {
        await using var work = app.Scopes.ForTenant(tenantId);
        var live = await node.GetLiveAsync(work.Db, tenantId, default);
        await node.UpdateLiveAsync(work.Db, tenantId, live.Settings with { SystemPrompt = prompt }, default);
    }

    [Fact]
    public async Task A_change_on_another_node_reaches_turns_after_the_cache_time_and_no_turn_waits_for_the_reload()
    {
        var tenant = await app.TenantAsync();
        var clock = new FakeTimeProvider(DateTimeOffset.UtcNow);
        var here = Node(clock);
        var elsewhere = Node(TimeProvider.System);
        await ChangePromptAsync(elsewhere, tenant.Id, "Eres la recepcionista, versión 1.");
        Assert.Equal("Eres la recepcionista, versión 1.", await PromptAsync(here, tenant.Id));

        await ChangePromptAsync(elsewhere, tenant.Id, "Eres la recepcionista, versión 2.");
        clock.Advance(TimeSpan.FromSeconds(5));
        Assert.Equal("Eres la recepcionista, versión 1.", await PromptAsync(here, tenant.Id)); // cached

        clock.Advance(TimeSpan.FromSeconds(6));
        // Past the cache time the turn still gets the cached entry at once, and a reload starts beside it.
        Assert.Equal("Eres la recepcionista, versión 1.", await PromptAsync(here, tenant.Id));
        var waited = Stopwatch.StartNew();
        string prompt;
        do prompt = await PromptAsync(here, tenant.Id);
        while (prompt != "Eres la recepcionista, versión 2." && waited.Elapsed < TimeSpan.FromSeconds(15));
        Assert.Equal("Eres la recepcionista, versión 2.", prompt);
    }

    [Fact]
    public async Task A_change_on_this_node_is_seen_by_the_next_turn_even_while_a_reload_is_under_way()
    {
        var tenant = await app.TenantAsync();
        var clock = new FakeTimeProvider(DateTimeOffset.UtcNow);
        var here = Node(clock);
        await ChangePromptAsync(here, tenant.Id, "Versión A");
        Assert.Equal("Versión A", await PromptAsync(here, tenant.Id));

        clock.Advance(TimeSpan.FromSeconds(11));
        Assert.Equal("Versión A", await PromptAsync(here, tenant.Id)); // stale: a reload of "Versión A" may be running
        await ChangePromptAsync(here, tenant.Id, "Versión B");
        // Whatever the reload read, it must not put the old version back after the change.
        for (var i = 0; i < 20; i++) Assert.Equal("Versión B", await PromptAsync(here, tenant.Id));
    }
}
