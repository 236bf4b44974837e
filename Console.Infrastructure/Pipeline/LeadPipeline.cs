using System.Text.Json;
using Microsoft.EntityFrameworkCore;
using OperatorConsole.Domain.Common;
using OperatorConsole.Domain.Contacts;
using OperatorConsole.Domain.Conversations;
using OperatorConsole.Domain.Revenue;
using OperatorConsole.Infrastructure.Data;
using OperatorConsole.Infrastructure.Tenancy;

namespace OperatorConsole.Infrastructure.Pipeline;

/// <summary>Who or what moves a lead: "agent", "api", "payment", "import", or a member (name and id).</summary>
public sealed record StageMover(string Name, Guid? MemberId = null)
{
    public static readonly StageMover Agent = new("agent");
    public static readonly StageMover Payment = new("payment");
    public static readonly StageMover Import = new("import");
}

/// <summary>Reasons the pipeline itself writes, as codes the timeline words in the reader's language.</summary>
public static class LeadPipelineReasons
{
    /// <summary>Followed by the deleted stage's name.</summary>
    public const string StageDeleted = "stage_deleted:";
}

/// <summary>A stage as the pipeline settings send it: no id for a new stage.</summary>
public sealed record StageInput(Guid? Id, string Name, StageKind Kind, string? Color);

/// <summary>
/// The one place a lead changes stage: the drag on the kanban, the agent's update_lead, the API, a bulk action and a
/// payment all come here, so every move leaves the same three traces — a history row (who and why), a timeline entry in
/// the customer's latest conversation, and <see cref="LeadStageChanged"/> for live screens and outbound webhooks.
/// Also owns the tenant's stage list (settings).
/// </summary>
public sealed class LeadPipeline(ContextScopes scopes, TimeProvider clock)
{
    public static Task<List<PipelineStage>> StagesAsync(AppDbContext db, CancellationToken ct = default) =>
        db.PipelineStages.OrderBy(s => s.Position).ThenBy(s => s.Name).ToListAsync(ct);

    public async Task<IReadOnlyList<PipelineStage>> StagesAsync(Guid tenantId, CancellationToken ct = default)
    {
        await using var work = scopes.ForTenant(tenantId);
        return await work.Db.PipelineStages.AsNoTracking().OrderBy(s => s.Position).ThenBy(s => s.Name).ToListAsync(ct);
    }

    /// <summary>How many leads each stage holds (stage id → count; stages without leads are absent).</summary>
    public async Task<Dictionary<Guid, int>> CountsAsync(Guid tenantId, CancellationToken ct = default)
    {
        await using var work = scopes.ForTenant(tenantId);
        return await work.Db.Contacts.GroupBy(c => c.StageId).Select(g => new { g.Key, Count = g.Count() }).ToDictionaryAsync(x => x.Key, x => x.Count, ct);
    }

    /// <summary>Bulk: gives the leads an owner (a member of the tenant) or none. Returns how many changed.</summary>
    public async Task<int> AssignOwnerAsync(Guid tenantId, IReadOnlyCollection<Guid> contactIds, Guid? memberId, CancellationToken ct = default)
    {
        await using var work = scopes.ForTenant(tenantId);
        if (memberId is { } m && !await work.Db.TenantMembers.AnyAsync(x => x.Id == m && x.TenantId == tenantId, ct))
            throw new DomainException("member.not_found", "That person is not a member of this business.");
        var contacts = await work.Db.Contacts.Where(c => contactIds.Contains(c.Id) && c.OwnerMemberId != memberId).ToListAsync(ct);
        foreach (var contact in contacts) contact.AssignOwner(memberId);
        await work.Db.SaveChangesAsync(ct);
        return contacts.Count;
    }

    /// <summary>Bulk: adds a tag to the leads that lack it. Returns how many changed.</summary>
    public async Task<int> AddTagAsync(Guid tenantId, IReadOnlyCollection<Guid> contactIds, string tag, CancellationToken ct = default)
    {
        await using var work = scopes.ForTenant(tenantId);
        var contacts = await work.Db.Contacts.Where(c => contactIds.Contains(c.Id)).ToListAsync(ct);
        var changed = 0;
        foreach (var contact in contacts)
        {
            var before = contact.Tags.Count;
            contact.AddTag(tag);
            if (contact.Tags.Count != before) changed++;
        }
        await work.Db.SaveChangesAsync(ct);
        return changed;
    }

    /// <summary>The tenant's stage with that name, ignoring case and accents ("cita agendada" finds "Cita Agendada").</summary>
    public static PipelineStage? Match(IEnumerable<PipelineStage> stages, string? name)
    {
        var wanted = PipelineStage.Fold(name);
        if (wanted.Length == 0) return null;
        // Then a default stage by its default name in either language: the model (or an integration) saying "Qualified"
        // means the tenant's "Calificado" — unless the tenant has a stage literally called that, found first.
        return stages.FirstOrDefault(s => PipelineStage.Fold(s.Name) == wanted)
               ?? stages.FirstOrDefault(s => s.Key is { } key && PipelineStage.DefaultSet.Any(d => d.Key == key
                   && (PipelineStage.Fold(d.En) == wanted || PipelineStage.Fold(d.Es) == wanted || d.Key == wanted)));
    }

    /// <summary>
    /// Stages the move of a tracked contact in <paramref name="db"/>; the caller saves (in its own transaction, with its
    /// other changes). Returns false when the lead is already there (nothing is written).
    /// </summary>
    public static async Task<bool> StageMoveAsync(AppDbContext db, Contact contact, PipelineStage to, StageMover by, string? reason,
        DateTimeOffset now, CancellationToken ct = default)
    {
        if (contact.StageId == to.Id) return false;
        if (to.TenantId != contact.TenantId) throw new DomainException("pipeline.stage_not_found", "No such stage.");
        var from = contact.StageId == Guid.Empty ? null
            : db.PipelineStages.Local.FirstOrDefault(s => s.Id == contact.StageId)
              ?? await db.PipelineStages.AsNoTracking().SingleOrDefaultAsync(s => s.Id == contact.StageId, ct);
        contact.MoveTo(to.Id);
        db.LeadStageChanges.Add(LeadStageChange.Record(contact.TenantId, contact.Id, from, to, by.Name, by.MemberId, reason, now));
        var conversation = await db.Conversations.Where(c => c.ContactId == contact.Id)
            .OrderByDescending(c => c.LastMessageAt ?? c.CreatedAt).FirstOrDefaultAsync(ct);
        if (conversation is not null)
        {
            var data = JsonSerializer.Serialize(new { from = from?.Name, to = to.Name, by = by.Name, reason });
            db.ConversationEvents.Add(ConversationEvent.Record(conversation, ConversationEventType.StageChanged, by.MemberId,
                $"{from?.Name ?? "—"} → {to.Name}", data, now));
        }
        db.Raise(new LeadStageChanged(contact.TenantId, contact.Id, conversation?.Id, from?.Id, from?.Name, to.Id, to.Name,
            to.Kind.ToString().ToLowerInvariant(), by.Name, reason));
        return true;
    }

    /// <summary>Moves one lead in its own transaction. Throws <see cref="DomainException"/> for an unknown lead or stage.</summary>
    public async Task<bool> MoveAsync(Guid tenantId, Guid contactId, Guid stageId, StageMover by, string? reason, CancellationToken ct = default)
    {
        await using var work = scopes.ForTenant(tenantId);
        var db = work.Db;
        var contact = await db.Contacts.SingleOrDefaultAsync(c => c.Id == contactId, ct)
            ?? throw new DomainException("contact.not_found", "No such contact.");
        var stage = await db.PipelineStages.SingleOrDefaultAsync(s => s.Id == stageId, ct)
            ?? throw new DomainException("pipeline.stage_not_found", "No such stage.");
        var moved = await StageMoveAsync(db, contact, stage, by, reason, clock.GetUtcNow(), ct);
        if (moved) await db.SaveChangesAsync(ct);
        return moved;
    }

    /// <summary>Bulk move (grid selection): one transaction, one history row, timeline entry and event per lead that moves.</summary>
    public async Task<int> MoveManyAsync(Guid tenantId, IReadOnlyCollection<Guid> contactIds, Guid stageId, StageMover by, string? reason,
        CancellationToken ct = default)
    {
        await using var work = scopes.ForTenant(tenantId);
        var db = work.Db;
        var stage = await db.PipelineStages.SingleOrDefaultAsync(s => s.Id == stageId, ct)
            ?? throw new DomainException("pipeline.stage_not_found", "No such stage.");
        await StagesAsync(db, ct); // tracked, so each move finds its "from" stage without a query
        var contacts = await db.Contacts.Where(c => contactIds.Contains(c.Id)).ToListAsync(ct);
        var now = clock.GetUtcNow();
        var moved = 0;
        foreach (var contact in contacts)
            if (await StageMoveAsync(db, contact, stage, by, reason, now, ct)) moved++;
        if (moved > 0) await db.SaveChangesAsync(ct);
        return moved;
    }

    /// <summary>
    /// Replaces the tenant's stages with <paramref name="wanted"/> in that order. A stage left out is deleted; one that
    /// holds leads needs a target in <paramref name="moveTo"/> (old stage id → a stage id kept or the name of a new one),
    /// and its leads move there through <see cref="StageMoveAsync"/> (history, timeline, event), all in one transaction.
    /// </summary>
    public async Task<IReadOnlyList<PipelineStage>> SaveStagesAsync(Guid tenantId, IReadOnlyList<StageInput> wanted,
        IReadOnlyDictionary<Guid, Guid>? moveTo, StageMover by, CancellationToken ct = default)
    {
        Validate(wanted);
        await using var work = scopes.ForTenant(tenantId);
        var db = work.Db;
        await using var tx = await db.Database.BeginTransactionAsync(ct);
        var current = await StagesAsync(db, ct);
        foreach (var input in wanted.Where(w => w.Id is { } id && current.All(c => c.Id != id)))
            throw new DomainException("pipeline.stage_not_found", $"No stage {input.Id} in this workspace.", input.Id);

        var kept = new List<PipelineStage>();
        for (var i = 0; i < wanted.Count; i++)
        {
            var input = wanted[i];
            var stage = input.Id is { } id ? current.Single(c => c.Id == id) : null;
            if (stage is null)
            {
                stage = PipelineStage.Create(tenantId, input.Name, i, input.Kind, input.Color);
                db.PipelineStages.Add(stage);
            }
            else stage.Update(input.Name, i, input.Kind, input.Color);
            kept.Add(stage);
        }
        await db.SaveChangesAsync(ct);

        var now = clock.GetUtcNow();
        foreach (var removed in current.Where(c => kept.All(k => k.Id != c.Id)))
        {
            var leads = await db.Contacts.Where(c => c.StageId == removed.Id).ToListAsync(ct);
            if (leads.Count > 0)
            {
                if (moveTo is null || !moveTo.TryGetValue(removed.Id, out var targetId) || kept.FirstOrDefault(k => k.Id == targetId) is not { } target)
                    throw new DomainException("pipeline.move_required",
                        $"The stage '{removed.Name}' holds {leads.Count} leads: say which stage they move to.", removed.Name, leads.Count);
                foreach (var lead in leads)
                    await StageMoveAsync(db, lead, target, by, LeadPipelineReasons.StageDeleted + removed.Name, now, ct);
                await db.SaveChangesAsync(ct);
            }
            db.PipelineStages.Remove(removed);
        }
        await db.SaveChangesAsync(ct);
        await tx.CommitAsync(ct);
        return kept;
    }

    /// <summary>At least one open, one won and one lost stage; names unique (ignoring case and accents).</summary>
    public static void Validate(IReadOnlyList<StageInput> stages)
    {
        if (stages.Count > 30) throw new DomainException("pipeline.too_many", "A pipeline has at most 30 stages.", 30);
        foreach (var kind in Enum.GetValues<StageKind>())
            if (stages.All(s => s.Kind != kind))
                throw new DomainException("pipeline.kind_missing", "The pipeline needs at least one open, one won and one lost stage.");
        var duplicate = stages.GroupBy(s => PipelineStage.Fold(s.Name)).FirstOrDefault(g => g.Key.Length > 0 && g.Count() > 1);
        if (duplicate is not null)
            throw new DomainException("pipeline.duplicate_name", $"Two stages are called '{duplicate.First().Name.Trim()}'.", duplicate.First().Name.Trim());
        if (stages.Any(s => string.IsNullOrWhiteSpace(s.Name))) throw new DomainException("pipeline.name_required", "Every stage needs a name.");
    }
}
