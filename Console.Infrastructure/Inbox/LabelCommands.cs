using Microsoft.EntityFrameworkCore;
using OperatorConsole.Domain.Common;
using OperatorConsole.Domain.Conversations;
using OperatorConsole.Infrastructure.Data;
using OperatorConsole.Infrastructure.Live;
using OperatorConsole.Infrastructure.Tenancy;
using OperatorConsole.Infrastructure.Tenants;

namespace OperatorConsole.Infrastructure.Inbox;

/// <summary>A label as the inbox and the API show it.</summary>
public sealed record LabelRow(Guid Id, string Name, string Color);

/// <summary>
/// The business's conversation labels: defining them, and putting them on or taking them off conversations (inbox
/// panel and REST API alike). Label ids are caller input: every lookup runs in the actor's tenant scope, so another
/// tenant's label is "not found", and the composite keys of conversation_labels refuse it in the database as well.
/// </summary>
public sealed class LabelCommands(ContextScopes scopes, TimeProvider clock)
{
    public async Task<IReadOnlyList<LabelRow>> ListAsync(Guid tenantId, CancellationToken ct = default)
    {
        await using var work = scopes.ForTenant(tenantId);
        return await work.Db.Labels.AsNoTracking().OrderBy(l => l.Name).Select(l => new LabelRow(l.Id, l.Name, l.Color)).ToListAsync(ct);
    }

    /// <summary>Any member may define a label (from the conversation panel); a name already in use is a conflict.</summary>
    public async Task<LabelRow> CreateAsync(InboxActor actor, string name, string? color, CancellationToken ct = default)
    {
        await using var work = scopes.ForTenant(actor.TenantId);
        var label = Label.Create(actor.TenantId, name, color, clock.GetUtcNow());
        work.Db.Labels.Add(label);
        // A workspace-wide change: every open inbox reloads its labels.
        work.Db.Raise(new WorkspaceLabelsChanged(actor.TenantId));
        try
        {
            await work.Db.SaveChangesAsync(ct);
        }
        catch (DbUpdateException ex) when (ex.IsUniqueViolation())
        {
            throw new ConflictException(Label.DuplicateCode, $"A label named \"{label.Name}\" already exists.");
        }
        return new LabelRow(label.Id, label.Name, label.Color);
    }

    /// <summary>Removes the label from the workspace and from every conversation (owners and admins).</summary>
    public async Task DeleteAsync(InboxActor actor, Guid labelId, CancellationToken ct = default)
    {
        if (!actor.CanManageWorkspace) throw new InboxForbiddenException("Only owners and admins can delete labels.");
        await using var work = scopes.ForTenant(actor.TenantId);
        if (await work.Db.Labels.Where(l => l.Id == labelId).ExecuteDeleteAsync(ct) == 0) throw NotFound();
        work.Db.RaiseWritten(new WorkspaceLabelsChanged(actor.TenantId));
    }

    /// <summary>Puts one label on the conversation or takes it off (the panel's toggles).</summary>
    public Task SetAsync(InboxActor actor, Guid conversationId, Guid labelId, bool on, CancellationToken ct = default) =>
        ChangeAsync(actor, conversationId, [labelId], current => on ? current.Append(labelId) : current.Where(id => id != labelId), ct);

    /// <summary>Replaces the conversation's labels with exactly these (REST API PUT).</summary>
    public Task ReplaceAsync(InboxActor actor, Guid conversationId, IReadOnlyCollection<Guid> labelIds, CancellationToken ct = default) =>
        ChangeAsync(actor, conversationId, labelIds, _ => labelIds, ct);

    public async Task<IReadOnlyList<LabelRow>> OfConversationAsync(Guid tenantId, Guid conversationId, CancellationToken ct = default)
    {
        await using var work = scopes.ForTenant(tenantId);
        return await (from cl in work.Db.ConversationLabels
                      join l in work.Db.Labels on cl.LabelId equals l.Id
                      where cl.ConversationId == conversationId
                      orderby l.Name
                      select new LabelRow(l.Id, l.Name, l.Color)).ToListAsync(ct);
    }

    private async Task ChangeAsync(InboxActor actor, Guid conversationId, IReadOnlyCollection<Guid> named,
        Func<IEnumerable<Guid>, IEnumerable<Guid>> change, CancellationToken ct)
    {
        await using var work = scopes.ForTenant(actor.TenantId);
        var db = work.Db;
        if (!await db.Conversations.VisibleTo(db, actor.MemberId).AnyAsync(c => c.Id == conversationId, ct))
            throw new DomainException("conversation.not_found", "No such conversation in this workspace.");
        // Ids from the caller: only this tenant's labels are found here (query filter and row-level security).
        var distinct = named.Distinct().ToList();
        var known = await db.Labels.Where(l => distinct.Contains(l.Id)).Select(l => l.Id).ToListAsync(ct);
        if (known.Count != distinct.Count) throw NotFound();

        var links = await db.ConversationLabels.Where(l => l.ConversationId == conversationId).ToListAsync(ct);
        var wanted = change(links.Select(l => l.LabelId)).ToHashSet();
        db.ConversationLabels.RemoveRange(links.Where(l => !wanted.Contains(l.LabelId)));
        var now = clock.GetUtcNow();
        foreach (var id in wanted.Where(id => links.All(l => l.LabelId != id)))
            db.ConversationLabels.Add(ConversationLabel.Create(actor.TenantId, conversationId, id, now));
        db.Raise(new ConversationLabelsChanged(actor.TenantId, conversationId));
        try
        {
            await db.SaveChangesAsync(ct);
        }
        catch (DbUpdateException ex) when (ex.IsUniqueViolation())
        {
            // Another agent put the same label on at the same moment: the conversation already carries it.
        }
        catch (DbUpdateConcurrencyException)
        {
            // Another agent took the same label off at the same moment: it is off (their commit announced it).
        }
    }

    private static DomainException NotFound() => new(Label.NotFoundCode, "No such label in this workspace.");
}
