using System.Collections.Concurrent;
using Microsoft.Extensions.DependencyInjection;
using OperatorConsole.Infrastructure.Live;
using OperatorConsole.Tests.Support;

namespace OperatorConsole.Tests.Live;

/// <summary>Two nodes with short activity periods, so lapses happen within a test.</summary>
public sealed class TwoQuickNodes : IAsyncLifetime
{
    private static readonly Dictionary<string, string?> Settings = new() { ["Live:TypingSeconds"] = "2", ["Live:ViewingRenewSeconds"] = "1" };

    public SocketNodeFactory A { get; private set; } = default!;
    public SocketNodeFactory B { get; private set; } = default!;
    private string _database = "";

    public async Task InitializeAsync()
    {
        _database = await TestDatabase.CreateAsync();
        A = new SocketNodeFactory(_database, Settings);
        await A.InitializeAsync();
        B = new SocketNodeFactory(_database, Settings);
        await B.InitializeAsync();
    }

    public async Task DisposeAsync()
    {
        await B.DisposeAsync();
        await A.DisposeAsync();
        await TestDatabase.DropAsync(_database);
    }
}

/// <summary>Who has a conversation open and who is typing, carried between nodes on the live-changes channel.</summary>
public class ConversationActivityTests(TwoQuickNodes nodes) : IClassFixture<TwoQuickNodes>
{
    private static readonly TimeSpan Generous = TimeSpan.FromSeconds(30);

    private ConversationActivity OnA => nodes.A.Services.GetRequiredService<ConversationActivity>();
    private ConversationActivity OnB => nodes.B.Services.GetRequiredService<ConversationActivity>();

    [Fact]
    public async Task A_screen_open_on_node_A_is_seen_on_node_B_and_gone_once_it_closes()
    {
        var (tenant, conversation, member) = (Guid.NewGuid(), Guid.NewGuid(), Guid.NewGuid());
        var view = OnA.Open(tenant, conversation, member);
        await Eventually.TrueAsync(() => Task.FromResult(OnB.Of(conversation).Viewing.Contains(member)), "node B to see the open screen", Generous);
        Assert.Empty(OnB.Of(conversation, except: member).Viewing);

        view.Dispose();
        await Eventually.TrueAsync(() => Task.FromResult(OnB.Of(conversation).Viewing.Count == 0), "node B to see the screen closed", Generous);
    }

    [Fact]
    public async Task A_screen_whose_connection_drops_stops_counting_on_both_nodes_and_counts_again_when_it_is_back()
    {
        var (tenant, conversation, member) = (Guid.NewGuid(), Guid.NewGuid(), Guid.NewGuid());
        var views = new OperatorConsole.App.Live.CircuitViews();
        using var view = OnA.Open(tenant, conversation, member);
        views.Track(view);
        await Eventually.TrueAsync(() => Task.FromResult(OnB.Of(conversation).Viewing.Contains(member)), "node B to see the open screen", Generous);

        // The server keeps the circuit (and the screen) for a reconnection, but nobody is at it.
        views.ConnectionDown();
        Assert.Empty(OnA.Of(conversation).Viewing);
        await Eventually.TrueAsync(() => Task.FromResult(OnB.Of(conversation).Viewing.Count == 0), "node B to stop counting the screen", Generous);

        views.ConnectionUp();
        await Eventually.TrueAsync(() => Task.FromResult(OnB.Of(conversation).Viewing.Contains(member)), "node B to see the screen again", Generous);
        views.Forget(view);
    }

    [Fact]
    public async Task A_screen_opened_later_on_another_node_learns_at_once_who_is_already_there()
    {
        var (tenant, conversation, first, second) = (Guid.NewGuid(), Guid.NewGuid(), Guid.NewGuid(), Guid.NewGuid());
        using var early = OnA.Open(tenant, conversation, first);
        await Eventually.TrueAsync(() => Task.FromResult(OnB.Of(conversation).Viewing.Contains(first)), "node B to see the first screen", Generous);
        using var late = OnB.Open(tenant, conversation, second);
        await Eventually.TrueAsync(() => Task.FromResult(OnA.Of(conversation).Viewing.Contains(second)), "node A to see the second screen", Generous);
        Assert.Contains(first, OnB.Of(conversation, except: second).Viewing);
    }

    [Fact]
    public async Task Typing_is_sent_once_per_burst_of_keys_and_lapses_after_the_typing_period()
    {
        var (tenant, conversation, member) = (Guid.NewGuid(), Guid.NewGuid(), Guid.NewGuid());
        using var view = OnA.Open(tenant, conversation, member);
        await Eventually.TrueAsync(() => Task.FromResult(OnB.Of(conversation).Viewing.Contains(member)), "node B to see the open screen", Generous);
        var heardOnB = new ConcurrentBag<DateTimeOffset>();
        using var watch = OnB.Watch(conversation, () => { heardOnB.Add(DateTimeOffset.UtcNow); return Task.CompletedTask; });

        // Fifty keys in a row, as fast as a person never types: one signal crosses.
        for (var i = 0; i < 50; i++) view.Typing();
        await Eventually.TrueAsync(() => Task.FromResult(OnB.Of(conversation).Typing.Contains(member)), "node B to see the member typing", Generous);
        await Eventually.TrueAsync(() => Task.FromResult(OnB.Of(conversation).Typing.Count == 0), "typing to lapse without keys", Generous);
        Assert.Contains(member, OnB.Of(conversation).Viewing);
        // One typing signal (then the lapse, which may still be on its way); renewals of a known screen change nothing anyone sees.
        Assert.InRange(heardOnB.Count, 1, 3);
    }

    [Fact]
    public async Task A_screen_of_a_node_that_stopped_renewing_stops_counting()
    {
        var (tenant, conversation, member) = (Guid.NewGuid(), Guid.NewGuid(), Guid.NewGuid());
        // A node that announced a screen and then died: nothing renews it, nothing says it closed.
        OnB.Receive(new ActivitySignal(tenant, conversation, member, Guid.NewGuid(), ActivityKind.Viewing), fromNode: Guid.NewGuid());
        Assert.Contains(member, OnB.Of(conversation).Viewing);
        await Eventually.TrueAsync(() => Task.FromResult(OnB.Of(conversation).Viewing.Count == 0), "the dead node's screen to lapse", Generous);
    }
}
