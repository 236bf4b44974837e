using Microsoft.Extensions.DependencyInjection;
using OperatorConsole.Domain.Tenants;
using OperatorConsole.Infrastructure.Assignment;
using OperatorConsole.Infrastructure.Live;
using OperatorConsole.Tests.Support;

namespace OperatorConsole.Tests.Live;

public class PresenceHeartbeatTests
{
    // A heartbeat every second and a two-second timeout, so a dead node is noticed within the test.
    private static readonly Dictionary<string, string?> Fast = new() { ["Live:HeartbeatSeconds"] = "1", ["Live:PresenceTimeoutSeconds"] = "2" };

    [Fact]
    public async Task A_member_whose_node_died_goes_offline_and_stays_online_while_the_node_lives()
    {
        await using var survivor = new NodeAppFactory(null, Fast);
        await survivor.InitializeAsync();
        var dying = new NodeAppFactory(survivor.Database, Fast);
        await dying.InitializeAsync();
        var tenant = await survivor.TenantAsync();
        var member = await survivor.MemberAsync(tenant.Id);
        Task<TenantMember> Read() => survivor.ReadMemberAsync(tenant.Id, m => m.Id == member.Id);

        dying.Services.GetRequiredService<PresenceService>().Connected(tenant.Id, member.UserId);
        var online = await Eventually.GetAsync(Read, m => m.Presence == MemberPresence.Online, "the member to come online");
        // The node's heartbeat keeps renewing the member, well past the timeout.
        await Eventually.GetAsync(Read, m => m.LastSeenAt > online.LastSeenAt + TimeSpan.FromSeconds(3), "the heartbeat to renew the member");
        Assert.Equal(MemberPresence.Online, (await Read()).Presence);

        // The node stops without closing its connections, as after kill -9: nobody tells the database.
        await dying.DisposeAsync();

        await Eventually.GetAsync(Read, m => m.Presence == MemberPresence.Offline, "the surviving node to sweep the member offline",
            TimeSpan.FromSeconds(30));
        Assert.Null(await survivor.Services.GetRequiredService<AssignmentService>()
            .AutoAssignAsync(tenant.Id, (await survivor.ConversationAsync(tenant.Id, "Cliente")).Id, default));
    }
}
