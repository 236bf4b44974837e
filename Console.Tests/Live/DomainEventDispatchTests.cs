using System.Collections.Concurrent;
using Microsoft.AspNetCore.Hosting;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using OperatorConsole.Domain.Common;
using OperatorConsole.Domain.Conversations;
using OperatorConsole.Infrastructure.Events;
using OperatorConsole.Infrastructure.Live;
using OperatorConsole.Infrastructure.Tenancy;
using OperatorConsole.Tests.Support;

namespace OperatorConsole.Tests.Live;

/// <summary>The app with one more handler that records every event it is given, as it is given.</summary>
public sealed class RecordingEventsApp : ConsoleAppFactory
{
    public RecordingHandler Recorded { get; } = new();

    protected override void ConfigureWebHost(IWebHostBuilder builder)
    {
        base.ConfigureWebHost(builder);
        builder.ConfigureServices(s => s.AddSingleton<IDomainEventHandler>(Recorded));
    }

    public sealed class RecordingHandler : IDomainEventHandler
    {
        private readonly ConcurrentQueue<IDomainEvent> _events = new();

        public void Handle(IReadOnlyList<IDomainEvent> events)
        {
            foreach (var e in events) _events.Enqueue(e);
        }

        public IReadOnlyList<T> Of<T>(Guid conversationId) where T : ConversationDomainEvent =>
            _events.OfType<T>().Where(e => e.ConversationId == conversationId).ToList();

        public IReadOnlyList<T> All<T>() where T : IDomainEvent => _events.OfType<T>().ToList();

        public IReadOnlyList<ConversationDomainEvent> About(Guid conversationId) =>
            _events.OfType<ConversationDomainEvent>().Where(e => e.ConversationId == conversationId).ToList();
    }
}

/// <summary>
/// One dispatcher announces what happened, after the commit: never a change others cannot read yet, never one that was
/// rolled back, and a set-based write the same as an aggregate's.
/// </summary>
public class DomainEventDispatchTests(RecordingEventsApp app) : IClassFixture<RecordingEventsApp>
{
    private async Task<Conversation> ConversationAsync()
    {
        var tenant = await app.TenantAsync();
        return await app.ConversationAsync(tenant.Id, "Ana");
    }

    private WorkScope Scope(Conversation c) => app.Services.GetRequiredService<ContextScopes>().ForTenant(c.TenantId);

    [Fact]
    public async Task A_change_in_a_transaction_is_announced_when_it_commits_not_when_it_is_saved()
    {
        var c = await ConversationAsync();
        await using var work = Scope(c);
        await using var tx = await work.Db.Database.BeginTransactionAsync();
        var conversation = await work.Db.Conversations.SingleAsync(x => x.Id == c.Id);
        conversation.TakeOver(null);
        await work.Db.SaveChangesAsync();
        Assert.Empty(app.Recorded.Of<ConversationTakenOver>(c.Id)); // saved, but nobody else can read it yet

        await tx.CommitAsync();
        Assert.Single(app.Recorded.Of<ConversationTakenOver>(c.Id));
    }

    [Fact]
    public async Task A_rolled_back_change_is_never_announced()
    {
        var c = await ConversationAsync();
        await using (var work = Scope(c))
        {
            await using var tx = await work.Db.Database.BeginTransactionAsync();
            (await work.Db.Conversations.SingleAsync(x => x.Id == c.Id)).Resolve(DateTimeOffset.UtcNow);
            await work.Db.SaveChangesAsync();
            await tx.RollbackAsync();
        }
        Assert.Empty(app.Recorded.Of<ConversationResolved>(c.Id));

        // The same change, committed this time, is announced once.
        await using (var work = Scope(c))
        {
            (await work.Db.Conversations.SingleAsync(x => x.Id == c.Id)).Resolve(DateTimeOffset.UtcNow);
            await work.Db.SaveChangesAsync();
        }
        Assert.Single(app.Recorded.Of<ConversationResolved>(c.Id));
    }

    [Fact]
    public async Task A_save_that_fails_announces_nothing()
    {
        var c = await ConversationAsync();
        await using var work = Scope(c);
        var conversation = await work.Db.Conversations.SingleAsync(x => x.Id == c.Id);
        conversation.TakeOver(null);
        // Someone else changed the row meanwhile: the save fails on the row version.
        work.Db.Entry(conversation).Property<uint>("Version").OriginalValue = 1;
        await Assert.ThrowsAsync<DbUpdateConcurrencyException>(() => work.Db.SaveChangesAsync());
        Assert.Empty(app.Recorded.Of<ConversationTakenOver>(c.Id));
    }

    [Fact]
    public async Task A_set_based_write_is_announced_at_once_outside_a_transaction_and_at_the_commit_inside_one()
    {
        var c = await ConversationAsync();
        await using (var work = Scope(c))
        {
            await work.Db.Conversations.Where(x => x.Id == c.Id).ExecuteUpdateAsync(s => s.SetProperty(x => x.UnreadCount, 0));
            work.Db.RaiseWritten(new ConversationRead(c.TenantId, c.Id));
            Assert.Single(app.Recorded.Of<ConversationRead>(c.Id));

            await using var tx = await work.Db.Database.BeginTransactionAsync();
            await work.Db.Conversations.Where(x => x.Id == c.Id).ExecuteUpdateAsync(s => s.SetProperty(x => x.UnreadCount, 0));
            work.Db.RaiseWritten(new ConversationRead(c.TenantId, c.Id));
            Assert.Single(app.Recorded.Of<ConversationRead>(c.Id));
            await tx.CommitAsync();
        }
        Assert.Equal(2, app.Recorded.Of<ConversationRead>(c.Id).Count);
    }

    [Fact]
    public async Task A_timeline_entry_is_announced_without_anyone_raising_it()
    {
        var c = await ConversationAsync();
        await using (var work = Scope(c))
        {
            var conversation = await work.Db.Conversations.SingleAsync(x => x.Id == c.Id);
            work.Db.ConversationEvents.Add(ConversationEvent.Record(conversation, ConversationEventType.ToolCalled, null, "check_availability", null, DateTimeOffset.UtcNow));
            await work.Db.SaveChangesAsync();
        }
        Assert.Equal(ConversationEventType.ToolCalled, Assert.Single(app.Recorded.Of<TimelineEntryAdded>(c.Id)).Type);
    }

    [Fact]
    public async Task Live_screens_hear_one_change_per_conversation_per_commit_named_after_what_happened()
    {
        var c = await ConversationAsync();
        var heard = new ConcurrentQueue<ConversationChanged>();
        using var _ = app.Services.GetRequiredService<ConversationNotifier>().Subscribe(c.TenantId, c.Id, change =>
        {
            heard.Enqueue(change);
            return Task.CompletedTask;
        });
        await using (var work = Scope(c))
        {
            var conversation = await work.Db.Conversations.SingleAsync(x => x.Id == c.Id);
            conversation.TakeOver(null);
            work.Db.ConversationEvents.Add(ConversationEvent.Record(conversation, ConversationEventType.TakenOver, null, "Taken over", null, DateTimeOffset.UtcNow));
            await work.Db.SaveChangesAsync();
        }
        var change = await Eventually.GetAsync(() => Task.FromResult(heard.ToArray()), h => h.Length > 0, "the open panel to hear the takeover");
        Assert.Equal(nameof(ConversationTakenOver), Assert.Single(change).Reason);
    }
}
