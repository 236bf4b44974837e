using System.ComponentModel;
using System.Text.Json;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.AI;
using Microsoft.Extensions.Logging;
using OperatorConsole.Domain.Agent;
using OperatorConsole.Domain.Contacts;
using OperatorConsole.Domain.Conversations;
using OperatorConsole.Domain.Revenue;
using OperatorConsole.Infrastructure.Pipeline;
using OperatorConsole.Infrastructure.Tenancy;

namespace OperatorConsole.Infrastructure.Agent;

/// <summary>What the analysis model reads out of a conversation (structured output).</summary>
public sealed record LeadAnalysis(
    [property: Description("The customer shows interest in buying or booking")] bool Interested,
    [property: Description("The customer needs it soon / urgently")] bool Urgent,
    [property: Description("The customer mentioned a budget or price range")] bool BudgetMentioned,
    [property: Description("The customer decides the purchase")] bool DecisionMaker,
    [property: Description("The customer is comparing with other businesses")] bool Comparing,
    [property: Description("The customer said they are not interested")] bool NotInterested,
    [property: Description("Spam, abuse or nonsense")] bool Spam,
    [property: Description("The customer is annoyed or frustrated")] bool Frustrated,
    [property: Description("The customer has a problem with a payment")] bool PaymentIssue,
    [property: Description("New, Contacted, Qualified, Proposal, Won or Lost")] string? SuggestedStage,
    string? Name,
    string? Email,
    string? Company,
    [property: Description("Values for the business's custom lead fields, by field name")] Dictionary<string, string>? Fields,
    [property: Description("Two sentences on who the customer is and what they want")] string? Summary);

/// <summary>Turns the analysis's signals into a score with the tenant's weights (the agent profile's); a new lead starts at 50.</summary>
public static class LeadScoring
{
    private static readonly Func<LeadAnalysis, bool>[] Present =
        [a => a.Interested, a => a.Urgent, a => a.BudgetMentioned, a => a.DecisionMaker, a => a.Comparing, a => a.NotInterested, a => a.Spam];

    /// <summary>The score for the whole conversation so far (absolute, so repeating a signal does not inflate it).</summary>
    public static (int Score, List<string> Reasons) Score(LeadAnalysis a, LeadScoringWeights weights)
    {
        // Present lines up with LeadScoringWeights.Signals(), which keeps its order.
        var present = weights.Signals().Where((_, i) => Present[i](a)).Where(s => s.Weight != 0).ToList();
        return (Math.Clamp(Contact.InitialScore + present.Sum(s => s.Weight), 0, 100),
            present.Select(s => $"{s.Signal} {(s.Weight > 0 ? "+" : "")}{s.Weight}").ToList());
    }
}

/// <summary>
/// After a turn, a cheaper model reads the conversation and updates the lead: signals → score and temperature,
/// suggested stage, extracted fields, a short summary. Every change is an event with its reason. Frustration, a
/// payment problem or a lead crossing the high-value score hands the conversation to a human.
/// </summary>
public sealed class LeadAnalyzer(ContextScopes scopes, LlmGateway llm, Handoffs handoffs, TimeProvider clock,
    ILogger<LeadAnalyzer> log)
{
    private static readonly JsonSerializerOptions Json = new(JsonSerializerDefaults.Web);

    public async Task AnalyzeAsync(Guid tenantId, Guid conversationId, AgentProfile profile, CancellationToken ct)
    {
        List<ChatMessage> prompt;
        string lang;
        LeadAnalysis? analysis = null;
        List<PipelineStage> stages;
        TokenUsage? usage = null;
        await using (var work = scopes.ForTenant(tenantId))
        {
            // Each scope's reads share one connection: every pooled open pays a round trip for the session reset and
            // the tenant settings (after every turn, so it adds up).
            await work.Db.Database.OpenConnectionAsync(ct);
            var lines = await work.Db.Messages.Where(m => m.ConversationId == conversationId && m.Body != null)
                .OrderByDescending(m => m.SentAt).Take(40).Select(m => new { m.Sender, m.Body }).ToListAsync(ct);
            lines.Reverse();
            lang = CustomerLanguage.Detect(lines.Where(l => l.Sender == MessageSender.Contact).Select(l => l.Body!), "es");
            stages = await LeadPipeline.StagesAsync(work.Db, ct);
            if (!llm.IsConfigured)
            {
                // No model: the same analysis by rules, so score, stage and summary still move (and "No summary yet" goes).
                var conversation = await work.Db.Conversations.AsNoTracking().SingleAsync(c => c.Id == conversationId, ct);
                var contact = await work.Db.Contacts.AsNoTracking().SingleAsync(c => c.Id == conversation.ContactId, ct);
                var culture = await work.Db.Tenants.AsNoTracking().Where(t => t.Id == tenantId).Select(t => t.DefaultCulture).SingleAsync(ct);
                var products = await work.Db.Products.AsNoTracking().Where(p => p.Active).OrderBy(p => p.Name).Take(50).ToListAsync(ct);
                var booked = await work.Db.Appointments.AnyAsync(a => a.ContactId == contact.Id && Appointment.ActiveStatuses.Contains(a.Status), ct);
                var paid = await work.Db.PaymentLinks.AnyAsync(p => p.ConversationId == conversationId, ct);
                var history = lines.Select(l => new TurnMessage(l.Sender, l.Body!, default)).ToList();
                analysis = OfflineCopilot.Analyze(history, stages, stages.FirstOrDefault(s => s.Id == contact.StageId), products, booked, paid,
                    culture.StartsWith("en", StringComparison.OrdinalIgnoreCase) ? "en" : "es");
            }
            var stageNames = string.Join(", ", stages.Select(s => s.Name));
            var transcript = string.Join("\n", lines.Select(l => $"{(l.Sender == MessageSender.Contact ? "Customer" : "Business")}: {l.Body}"));
            var fields = profile.LeadFields.Count > 0 ? $" Custom lead fields to fill when mentioned: {string.Join(", ", profile.LeadFields)}." : "";
            prompt =
            [
                new(ChatRole.System, "You analyse a sales/service chat between a business and a customer. Report only what the customer's own " +
                                     "messages support; leave fields null when unknown. The suggested stage is one of the business's pipeline stages: " + stageNames + "." + fields),
                new(ChatRole.User, transcript),
            ];
        }

        if (analysis is null)
        {
            try
            {
                var response = await llm.For(llm.AnalysisModel).GetResponseAsync<LeadAnalysis>(prompt, new ChatOptions { Temperature = 0 },
                    useJsonSchemaResponseFormat: true, cancellationToken: ct);
                // The tokens ride on the lead's save below (one write fewer per turn), or go on their own without an analysis.
                usage = llm.Usage(tenantId, conversationId, llm.AnalysisModel, LlmFeature.Analysis, response.Usage);
                analysis = response.TryGetResult(out var parsed) ? parsed : null;
            }
            catch (Exception ex) when (ex is not OperationCanceledException)
            {
                // The reply already went out; a missed analysis only leaves the score as it was.
                log.LogWarning(ex, "Lead analysis failed for conversation {ConversationId}", conversationId);
                if (usage is not null) await llm.SaveUsageAsync(usage, ct);
                return;
            }
        }
        if (analysis is null)
        {
            if (usage is not null) await llm.SaveUsageAsync(usage, ct);
            return;
        }

        var crossedHighValue = false;
        await using (var work = scopes.ForTenant(tenantId))
        {
            var db = work.Db;
            await db.Database.OpenConnectionAsync(ct);
            var conversation = await db.Conversations.SingleAsync(c => c.Id == conversationId, ct);
            var contact = await db.Contacts.SingleAsync(c => c.Id == conversation.ContactId, ct);
            var now = clock.GetUtcNow();
            var (score, reasons) = LeadScoring.Score(analysis, profile.ScoringWeights);
            var changes = new List<string>();
            if (score != contact.Score)
            {
                var before = contact.Score;
                var temperatureBefore = contact.Temperature;
                contact.SetScore(score, string.Join(", ", reasons), now);
                crossedHighValue = profile.HighValueScore is { } high && before < high && score >= high;
                changes.Add($"score {before} → {score}" + (contact.Temperature != temperatureBefore ? $" ({temperatureBefore} → {contact.Temperature})" : "")
                            + (reasons.Count > 0 ? $": {string.Join(", ", reasons)}" : ""));
            }
            // Most analyses suggest the stage the lead is already in: the stages read above tell, without a query.
            if (analysis.SuggestedStage is { } s && LeadPipeline.Match(stages, s) is { } suggested && suggested.Id != contact.StageId)
            {
                // A won or lost lead is a person's (or a payment's) decision: the analysis never reopens it. Tracked and
                // read again here, so the move records its "from" stage as it is now.
                var tracked = await LeadPipeline.StagesAsync(db, ct);
                var current = tracked.FirstOrDefault(x => x.Id == contact.StageId);
                if (LeadPipeline.Match(tracked, s) is { } stage && current?.Kind is not (StageKind.Won or StageKind.Lost))
                    await LeadPipeline.StageMoveAsync(db, contact, stage, StageMover.Agent, "lead analysis", now, ct);
            }
            try
            {
                // Definitions only matter for the custom fields the analysis filled in.
                var definitions = analysis.Fields is { Count: > 0 } ? await db.CustomFieldDefinitions.AsNoTracking().ToListAsync(ct) : null;
                changes.AddRange(LeadChanges.Apply(contact, new LeadUpdate(null, analysis.Name, analysis.Email, analysis.Company, analysis.Fields),
                    profile.LeadFields, definitions));
            }
            catch (Domain.Common.DomainException ex)
            {
                log.LogDebug("Ignored an extracted lead value: {Message}", ex.Message);
            }
            if (!string.IsNullOrWhiteSpace(analysis.Summary) && analysis.Summary != contact.Summary)
                contact.SetSummary(analysis.Summary.Length > 1000 ? analysis.Summary[..1000] : analysis.Summary.Trim());
            if (changes.Count > 0)
            {
                db.ConversationEvents.Add(ConversationEvent.Record(conversation, ConversationEventType.LeadChanged, null,
                    string.Join("; ", changes), JsonSerializer.Serialize(analysis, Json), now));
            }
            // Score and summary change on every analysis, with or without a timeline entry: the lead panel refreshes.
            db.Raise(new LeadChanged(tenantId, conversationId, contact.Id));
            if (usage is not null) db.TokenUsage.Add(usage);
            try
            {
                await db.SaveChangesAsync(ct);
            }
            catch (Exception) when (usage is not null)
            {
                // The lead's change failed (an operator saved it meanwhile, an outage); the tokens were spent all the same.
                await llm.SaveUsageAsync(usage, CancellationToken.None);
                throw;
            }
        }

        HandoffRequest? handoff = analysis switch
        {
            { PaymentIssue: true } => new(Domain.Conversations.HandoffReason.PaymentIssue, HandoffPriority.Urgent, "payment problem detected"),
            { Frustrated: true } => new(Domain.Conversations.HandoffReason.UserFrustrated, HandoffPriority.Urgent, "customer frustrated"),
            _ when crossedHighValue => new(Domain.Conversations.HandoffReason.HighValueLead, HandoffPriority.Normal, $"lead score reached {profile.HighValueScore}"),
            _ => null,
        };
        if (handoff is not null) await handoffs.HandOffAsync(tenantId, conversationId, handoff, lang, ct);
    }
}
