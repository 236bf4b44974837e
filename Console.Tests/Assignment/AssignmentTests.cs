using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using OperatorConsole.Domain.Channels;
using OperatorConsole.Domain.Conversations;
using OperatorConsole.Domain.Tenants;
using OperatorConsole.Infrastructure.Assignment;
using OperatorConsole.Infrastructure.Live;
using OperatorConsole.Tests.Live;
using OperatorConsole.Tests.Support;

namespace OperatorConsole.Tests.Assignment;

public class AssignmentTests(ConsoleAppFactory app) : IClassFixture<ConsoleAppFactory>
{
    private AssignmentService Assignment => app.Services.GetRequiredService<AssignmentService>();

    private Task<TenantMember> OnlineAsync(TenantMember m) => app.UpdateMemberAsync(m, r => r.ChoosePresence(MemberPresence.Online, DateTimeOffset.UtcNow));

    private async Task<TenantMember> OnlineAgentAsync(Guid tenantId, int? capacity = null)
    {
        var member = await OnlineAsync(await app.MemberAsync(tenantId));
        return capacity is { } c ? await app.UpdateMemberAsync(member, r => r.ChangeCapacity(c)) : member;
    }

    private async Task<Conversation> ConversationAsync(Guid tenantId, Channel channel) =>
        await app.ConversationAsync(tenantId, "Cliente", channel: channel);

    private async Task<Conversation> ReadAsync(Conversation c)
    {
        await using var work = app.Scopes.ForTenant(c.TenantId);
        return await work.Db.Conversations.AsNoTracking().SingleAsync(x => x.Id == c.Id);
    }

    [Fact]
    public async Task Away_offline_and_unseen_members_are_never_assigned()
    {
        var tenant = await app.TenantAsync(); // its owner never connected: offline
        var channel = await app.ChannelAsync(tenant.Id);
        var away = await app.UpdateMemberAsync(await app.MemberAsync(tenant.Id), r => r.ChoosePresence(MemberPresence.Away, DateTimeOffset.UtcNow));
        await app.MemberAsync(tenant.Id); // offline
        var nodeDied = await OnlineAsync(await app.MemberAsync(tenant.Id));
        // Its node stopped renewing presence ten minutes ago without cleaning up: still "Online" in the row.
        await using (var work = app.Scopes.ForTenant(tenant.Id))
            await work.Db.Database.ExecuteSqlAsync($"UPDATE tenant_members SET last_seen_at = now() - interval '10 minutes' WHERE id = {nodeDied.Id}");
        var conversation = await ConversationAsync(tenant.Id, channel);

        Assert.Null(await Assignment.AutoAssignAsync(tenant.Id, conversation.Id, default));
        Assert.Null((await ReadAsync(conversation)).AssignedMemberId);

        // The away agent comes back: now there is someone.
        await OnlineAsync(away);
        Assert.Equal(away.Id, await Assignment.AutoAssignAsync(tenant.Id, conversation.Id, default));
        var assigned = await ReadAsync(conversation);
        Assert.Equal(away.Id, assigned.AssignedMemberId);
        Assert.Equal(ConversationOwner.Human, assigned.Owner);
    }

    [Fact]
    public async Task Conversations_rotate_round_robin_and_each_assignment_is_recorded_and_announced()
    {
        var tenant = await app.TenantAsync();
        var channel = await app.ChannelAsync(tenant.Id);
        var agents = new[] { await OnlineAgentAsync(tenant.Id), await OnlineAgentAsync(tenant.Id), await OnlineAgentAsync(tenant.Id) };
        var announced = new System.Collections.Concurrent.ConcurrentBag<ConversationChanged>();
        using var _ = app.Services.GetRequiredService<ConversationNotifier>().Subscribe(tenant.Id, c => { announced.Add(c); return Task.CompletedTask; });

        var picks = new List<Guid>();
        var conversations = new List<Conversation>();
        for (var i = 0; i < 6; i++)
        {
            var conversation = await ConversationAsync(tenant.Id, channel);
            conversations.Add(conversation);
            picks.Add((await Assignment.AutoAssignAsync(tenant.Id, conversation.Id, default))!.Value);
        }

        // Everyone gets one before anyone gets a second, and the turn keeps going in the same order.
        Assert.Equal(3, picks.Take(3).Distinct().Count());
        Assert.Equal(picks.Take(3), picks.Skip(3));
        Assert.All(agents, a => Assert.Equal(2, picks.Count(p => p == a.Id)));

        await using var work = app.Scopes.ForTenant(tenant.Id);
        var ids = conversations.Select(c => c.Id).ToList();
        var events = await work.Db.ConversationEvents.Where(e => ids.Contains(e.ConversationId) && e.Type == ConversationEventType.Assigned).ToListAsync();
        Assert.Equal(6, events.Count);
        await Eventually.TrueAsync(() => Task.FromResult(ids.All(id => announced.Any(c => c.ConversationId == id && c.Reason == nameof(ConversationAssigned)))),
            "every assignment to be announced to open screens");
    }

    [Fact]
    public async Task A_member_at_capacity_gets_no_more_until_one_is_resolved()
    {
        var tenant = await app.TenantAsync();
        var channel = await app.ChannelAsync(tenant.Id);
        var agent = await OnlineAgentAsync(tenant.Id, capacity: 1);
        var first = await ConversationAsync(tenant.Id, channel);
        var second = await ConversationAsync(tenant.Id, channel);

        Assert.Equal(agent.Id, await Assignment.AutoAssignAsync(tenant.Id, first.Id, default));
        Assert.Null(await Assignment.AutoAssignAsync(tenant.Id, second.Id, default));

        await using (var work = app.Scopes.ForTenant(tenant.Id))
        {
            var row = await work.Db.Conversations.SingleAsync(c => c.Id == first.Id);
            row.Resolve(DateTimeOffset.UtcNow);
            await work.Db.SaveChangesAsync();
        }
        Assert.Equal(agent.Id, await Assignment.AutoAssignAsync(tenant.Id, second.Id, default));
    }

    [Fact]
    public async Task Only_members_who_work_the_channel_are_assigned()
    {
        var tenant = await app.TenantAsync();
        var whatsapp = await app.ChannelAsync(tenant.Id);
        var instagram = await app.ChannelAsync(tenant.Id, ChannelKind.Instagram);
        // Assigned long ago, so first in the rotation — but it works Instagram only.
        var instagramOnly = await OnlineAgentAsync(tenant.Id);
        var everything = await OnlineAgentAsync(tenant.Id);
        await app.UpdateMemberAsync(everything, r => r.RecordAssignment(DateTimeOffset.UtcNow));
        await using (var work = app.Scopes.ForTenant(tenant.Id))
        {
            work.Db.ChannelAccess.Add(ChannelAccess.Grant(tenant.Id, instagram.Id, instagramOnly.Id));
            await work.Db.SaveChangesAsync();
        }

        for (var i = 0; i < 2; i++)
            Assert.Equal(everything.Id, await Assignment.AutoAssignAsync(tenant.Id, (await ConversationAsync(tenant.Id, whatsapp)).Id, default));
        Assert.Equal(instagramOnly.Id, await Assignment.AutoAssignAsync(tenant.Id, (await ConversationAsync(tenant.Id, instagram)).Id, default));
    }

    [Fact]
    public async Task Concurrent_calls_assign_a_conversation_once()
    {
        var tenant = await app.TenantAsync();
        var channel = await app.ChannelAsync(tenant.Id);
        for (var i = 0; i < 3; i++) await OnlineAgentAsync(tenant.Id);
        var conversation = await ConversationAsync(tenant.Id, channel);

        var results = await Task.WhenAll(Enumerable.Range(0, 8).Select(_ => Task.Run(() => Assignment.AutoAssignAsync(tenant.Id, conversation.Id, default))));

        Assert.Single(results.Distinct());
        Assert.Equal(results[0], (await ReadAsync(conversation)).AssignedMemberId);
        await using var work = app.Scopes.ForTenant(tenant.Id);
        Assert.Equal(1, await work.Db.ConversationEvents.CountAsync(e => e.ConversationId == conversation.Id && e.Type == ConversationEventType.Assigned));
    }

    [Fact]
    public async Task Concurrent_assignments_never_overfill_a_member()
    {
        var tenant = await app.TenantAsync();
        var channel = await app.ChannelAsync(tenant.Id);
        var agents = new List<TenantMember>();
        for (var i = 0; i < 3; i++) agents.Add(await OnlineAgentAsync(tenant.Id, capacity: 1));
        var conversations = new List<Conversation>();
        for (var i = 0; i < 5; i++) conversations.Add(await ConversationAsync(tenant.Id, channel));

        var results = await Task.WhenAll(conversations.Select(c => Task.Run(() => Assignment.AutoAssignAsync(tenant.Id, c.Id, default))));

        // Three slots, five conversations: three assigned, each to a different agent; two wait for a human.
        var assigned = results.Where(r => r is not null).Select(r => r!.Value).ToList();
        Assert.Equal(3, assigned.Count);
        Assert.Equal(agents.Select(a => a.Id).Order(), assigned.Order());
    }
}
