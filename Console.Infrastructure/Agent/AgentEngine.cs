using Microsoft.Extensions.AI;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using OperatorConsole.Domain.Agent;
using OperatorConsole.Domain.Common;
using OperatorConsole.Domain.Conversations;
using OperatorConsole.Infrastructure.Channels.Outbound;
using OperatorConsole.Infrastructure.Options;

namespace OperatorConsole.Infrastructure.Agent;

/// <summary>
/// Decides one agent turn: rules that need no model (escalation keywords, message-count limit, closed hours), the
/// knowledge retrieval, then the LLM with tools — or the rule-based <see cref="OfflineAgent"/> (same tools) when no LLM is configured. Pure of
/// persistence: the live runner and the sandbox both call it and decide what to do with the result.
/// </summary>
public sealed class AgentEngine(LlmGateway llm, ModelAllowlist models, IOptions<LlmOptions> llmOptions, ILogger<AgentEngine> log)
{
    private readonly OfflineAgent _offline = new(llmOptions.Value.OfflineNotice);

    public const int PassagesPerTurn = 3;

    /// <summary>Extra tools the tenant defined (custom webhook tools), already bound to this turn.</summary>
    public async Task<TurnResult> RunAsync(TurnInput input, ITurnEffects effects, IReadOnlyList<AIFunction> customTools, CancellationToken ct)
    {
        var result = new TurnResult { Language = CustomerLanguage.Detect(MediaLines.Spoken(input.NewCustomerTexts), input.DefaultLanguage) };
        var profile = input.Profile;
        var newText = string.Join("\n", input.NewCustomerTexts);

        if (profile.EscalationKeywords.FirstOrDefault(k => CustomerLanguage.ContainsPhrase(newText, k)) is { } keyword)
        {
            result.Handoff = new HandoffRequest(HandoffReason.Keyword, HandoffPriority.Normal, $"keyword \"{keyword}\"");
            result.Replies.Add(new OutboundContent { Text = CustomerLanguage.HandoffMessage(result.Language) });
            return result;
        }
        if (profile.AutoEscalateAfterMessages is { } limit && input.CustomerMessageCount >= limit)
        {
            result.Handoff = new HandoffRequest(HandoffReason.MessageCountLimit, HandoffPriority.Normal, $"{input.CustomerMessageCount} customer messages (limit {limit})");
            result.Replies.Add(new OutboundContent { Text = CustomerLanguage.HandoffMessage(result.Language) });
            return result;
        }

        var local = profile.LocalTime(input.Now);
        if (profile.OutOfHours == OutOfHoursMode.SayWhenBack && !profile.BusinessHours.IsOpen(local))
        {
            var opening = profile.BusinessHours.NextOpening(local) ?? local;
            var notice = CustomerLanguage.ClosedMessage(result.Language, CustomerLanguage.WhenBack(result.Language, opening, local));
            // Say it once per closed period, not after every message the customer sends overnight.
            var lastBot = input.History.LastOrDefault(m => m.Sender == MessageSender.Bot);
            if (lastBot is not null && lastBot.Text.StartsWith(notice[..20], StringComparison.Ordinal) && input.Now - lastBot.At < TimeSpan.FromHours(16))
                result.Silent = true;
            else
                result.Replies.Add(new OutboundContent { Text = notice });
            return result;
        }

        if (input.Passages is { } prefetched) result.Passages.AddRange(prefetched);
        else if (newText.Length > 0) result.Passages.AddRange(await effects.SearchKnowledgeAsync(newText, PassagesPerTurn, ct));
        result.RenderedPrompt = PromptBuilder.Build(profile, input.BusinessName, input.Lead, result.Passages, input.Now,
            input.DisabledBuiltIns.Contains("send_file") ? null : input.Files);

        if (!llm.IsConfigured)
        {
            await _offline.RunAsync(input, result, effects, ct);
            return result;
        }

        // A model stored before the platform narrowed its allowlist (or written around the API) is never sent.
        var model = models.Resolve(profile.Model);
        result.Model = model;
        var tools = new BuiltInTools(input, result, effects).Functions.Where(f => !input.DisabledBuiltIns.Contains(f.Name))
            .Concat(customTools.Select(f => new BuiltInTools.RecordedFunction(f, result))).Cast<AITool>().ToList();
        try
        {
            var response = await llm.For(model).GetResponseAsync(BuildMessages(input, result.RenderedPrompt), new ChatOptions
            {
                Temperature = (float)profile.Temperature,
                MaxOutputTokens = profile.MaxTokens,
                Tools = tools,
            }, ct);
            result.Usage = response.Usage;
            result.Cost = response.Usage is { } u ? llm.EstimateCost(model, u.InputTokenCount ?? 0, u.OutputTokenCount ?? 0) : 0;
            var text = response.Text?.Trim();
            if (!string.IsNullOrEmpty(text)) result.Replies.Insert(0, new OutboundContent { Text = text });
            if (result.Handoff is not null && string.IsNullOrEmpty(text))
                result.Replies.Insert(0, new OutboundContent { Text = CustomerLanguage.HandoffMessage(result.Language) });
        }
        catch (Exception ex) when (ex is not OperationCanceledException || !ct.IsCancellationRequested)
        {
            // The SDK already retried 429/5xx with backoff: a person takes it from here, with an apology in the customer's language.
            log.LogError(ex, "LLM call failed for tenant {TenantId} conversation {ConversationId}", input.TenantId, input.ConversationId);
            result.Error = Describe(ex);
            result.Replies.Clear();
            result.Replies.Add(new OutboundContent { Text = CustomerLanguage.HandoffMessage(result.Language) });
            result.Handoff = new HandoffRequest(input.AgentErrorCount + 1 >= 2 ? HandoffReason.RepeatedFailures : HandoffReason.AgentError,
                HandoffPriority.Urgent, result.Error.English);
        }
        return result;
    }

    // The provider's own words stay as they are (they cannot be translated); the sentence around them is the reader's.
    private static TextRef Describe(Exception ex) => ex switch
    {
        System.ClientModel.ClientResultException c => new TextRef("AgentError.LlmStatus", $"LLM error {c.Status}: {Truncate(c.Message, 300)}",
            c.Status.ToString(System.Globalization.CultureInfo.InvariantCulture), Truncate(c.Message, 300)),
        TaskCanceledException or TimeoutException => new TextRef("AgentError.LlmTimeout", "LLM timed out"),
        _ => new TextRef("AgentError.LlmFailed", $"LLM failed: {Truncate(ex.Message, 300)}", Truncate(ex.Message, 300)),
    };

    private static string Truncate(string s, int max) => s.Length <= max ? s : s[..max];

    private static readonly string[] PersonPhrases =
    [
        "persona", "humano", "asesor", "agente", "hablar con alguien", "operador", "ejecutivo",
        "human", "person", "agent", "someone", "representative", "real person",
    ];

    public static bool WantsPerson(string text) => PersonPhrases.Any(p => CustomerLanguage.ContainsPhrase(text, p));

    /// <summary>System prompt, few-shot examples, then the history (newest kept within the token budget).</summary>
    public static List<ChatMessage> BuildMessages(TurnInput input, string systemPrompt, int historyTokens = 3000)
    {
        var messages = new List<ChatMessage> { new(ChatRole.System, systemPrompt) };
        foreach (var example in input.Profile.FewShotExamples)
        {
            messages.Add(new ChatMessage(ChatRole.User, example.Customer));
            messages.Add(new ChatMessage(ChatRole.Assistant, example.Agent));
        }
        // Roughly 4 characters a token; older messages are covered by the lead summary in the system prompt.
        var budget = historyTokens * 4;
        var kept = new List<ChatMessage>();
        foreach (var m in input.History.Reverse())
        {
            budget -= m.Text.Length;
            if (budget < 0 && kept.Count > 0) break;
            kept.Add(m.Sender switch
            {
                MessageSender.Contact => new ChatMessage(ChatRole.User, m.Text),
                MessageSender.Agent => new ChatMessage(ChatRole.Assistant, "[human agent] " + m.Text),
                _ => new ChatMessage(ChatRole.Assistant, m.Text),
            });
        }
        kept.Reverse();
        messages.AddRange(kept);
        return messages;
    }
}
