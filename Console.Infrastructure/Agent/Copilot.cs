using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.AI;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using OperatorConsole.Domain.Agent;
using OperatorConsole.Domain.Conversations;
using OperatorConsole.Infrastructure.Agent.Knowledge;
using OperatorConsole.Infrastructure.Tenancy;

namespace OperatorConsole.Infrastructure.Agent;

/// <summary>
/// Help for the human agent: a suggested next reply (the agent edits it before sending) and a short summary of the
/// conversation, from the same prompt, knowledge and history the bot would use. Spend is recorded as Copilot.
/// Without an LLM key both are extracted by rules (<see cref="OfflineCopilot"/>): the knowledge line that answers the open
/// question, and the service asked for, the stage and the open question.
/// </summary>
public sealed class Copilot(ContextScopes scopes, AgentProfiles profiles, LlmGateway llm, ModelAllowlist models, TimeProvider clock,
    ILogger<Copilot> log)
{
    private sealed record Context(AgentProfile Profile, string BusinessName, string Culture, LeadSnapshot Lead, List<TurnMessage> History,
        IReadOnlyList<KnowledgePassage> Passages, string Stage, IReadOnlyList<Product> Products);

    public async Task<string> SuggestReplyAsync(Guid tenantId, Guid conversationId, CancellationToken ct)
    {
        var c = await LoadAsync(tenantId, conversationId, ct);
        var lang = CustomerLanguage.Detect(c.History.Where(m => m.Sender == MessageSender.Contact).TakeLast(3).Select(m => m.Text), c.Culture);
        if (!llm.IsConfigured) return OfflineCopilot.SuggestReply(c.History, c.Passages, lang);
        var system = PromptBuilder.Build(c.Profile, c.BusinessName, c.Lead, c.Passages, clock.GetUtcNow()) +
                     "\n## Your task now\nYou are helping a human agent of the business. Write the agent's next reply to the customer, " +
                     $"in the customer's language ({lang}), short and ready to send. Return only the reply text.";
        var input = new TurnInput(tenantId, conversationId, c.BusinessName, c.Culture, c.Profile, c.Lead, Domain.Channels.ChannelKind.WhatsApp,
            c.History, [], 0, 0, LlmFeature.Copilot, clock.GetUtcNow());
        return await CallAsync(tenantId, conversationId, AgentEngine.BuildMessages(input, system), models.Resolve(c.Profile.Model), ct);
    }

    public async Task<string> SummarizeAsync(Guid tenantId, Guid conversationId, CancellationToken ct)
    {
        var c = await LoadAsync(tenantId, conversationId, ct);
        if (c.History.Count == 0) return c.Lead.Summary ?? "";
        // Without a model: extracted from the conversation as it is now (the stored lead summary may be older).
        if (!llm.IsConfigured) return OfflineCopilot.Summarize(c.History, c.Stage, c.Products, Lang(c.Culture));
        var transcript = string.Join("\n", c.History.Select(m => $"{m.Sender}: {m.Text}"));
        var language = Lang(c.Culture) == "en" ? "English" : "Spanish";
        List<ChatMessage> messages =
        [
            new(ChatRole.System, $"Summarize this customer conversation for a colleague who is taking it over, in {language}: who the customer is, " +
                                 "what they want, what was promised or is pending. At most three sentences."),
            new(ChatRole.User, transcript),
        ];
        return await CallAsync(tenantId, conversationId, messages, llm.AnalysisModel, ct);
    }

    private static string Lang(string culture) => culture.StartsWith("en", StringComparison.OrdinalIgnoreCase) ? "en" : "es";

    private async Task<string> CallAsync(Guid tenantId, Guid conversationId, List<ChatMessage> messages, string model, CancellationToken ct)
    {
        try
        {
            var response = await llm.For(model).GetResponseAsync(messages, new ChatOptions { Temperature = 0.3f, MaxOutputTokens = 400 }, ct);
            await llm.RecordUsageAsync(tenantId, conversationId, model, LlmFeature.Copilot, response.Usage, ct);
            return response.Text?.Trim() ?? "";
        }
        catch (Exception ex) when (ex is not OperationCanceledException)
        {
            log.LogWarning(ex, "Copilot call failed for conversation {ConversationId}", conversationId);
            throw new CopilotUnavailableException();
        }
    }

    private async Task<Context> LoadAsync(Guid tenantId, Guid conversationId, CancellationToken ct)
    {
        await using var work = scopes.ForTenant(tenantId);
        var db = work.Db;
        var row = await (from c in db.Conversations
                         join k in db.Contacts on c.ContactId equals k.Id
                         join t in db.Tenants on c.TenantId equals t.Id
                         where c.Id == conversationId
                         select new { Contact = k, Tenant = t }).AsNoTracking().SingleOrDefaultAsync(ct)
            ?? throw new Domain.Common.DomainException("conversation.not_found", "No such conversation in this workspace.");
        var profile = await profiles.GetLiveCachedAsync(db, tenantId, ct);
        var history = await db.Messages.Where(m => m.ConversationId == conversationId && m.Body != null && m.DeletedAt == null)
            .OrderByDescending(m => m.SentAt).Take(40).Select(m => new TurnMessage(m.Sender, m.Body!, m.SentAt)).ToListAsync(ct);
        history.Reverse();
        var lastCustomer = string.Join("\n", history.Where(m => m.Sender == MessageSender.Contact).TakeLast(3).Select(m => m.Text));
        var passages = lastCustomer.Length == 0 ? []
            : await work.Services.GetRequiredService<KnowledgeBase>().SearchAsync(lastCustomer, AgentEngine.PassagesPerTurn, ct);
        var contact = row.Contact;
        var stageName = await db.PipelineStages.Where(s => s.Id == contact.StageId).Select(s => s.Name).SingleOrDefaultAsync(ct) ?? "";
        var lead = new LeadSnapshot(contact.Name, contact.PhoneE164, contact.Email, contact.Company, stageName, contact.Score,
            contact.Temperature.ToString(), contact.Fields, contact.Summary);
        IReadOnlyList<Product> products = llm.IsConfigured ? []
            : await db.Products.AsNoTracking().Where(p => p.Active).OrderBy(p => p.Name).Take(50).ToListAsync(ct);
        return new Context(profile, row.Tenant.Name, row.Tenant.DefaultCulture, lead, history, passages, stageName, products);
    }
}

/// <summary>The LLM could not help right now; the screen says so and the agent writes on their own.</summary>
public sealed class CopilotUnavailableException() : Exception("The assistant is not available right now.");
