using Microsoft.EntityFrameworkCore;
using OperatorConsole.Domain.Agent;
using OperatorConsole.Domain.Channels;
using OperatorConsole.Domain.Conversations;
using OperatorConsole.Infrastructure.Tenancy;

namespace OperatorConsole.Infrastructure.Agent;

/// <summary>
/// The owner's test bench: runs the DRAFT profile against a chat the owner types, with the tenant's real knowledge,
/// files and calendar but pretend writes, so no customer, lead, slot or channel is touched. Token spend is recorded
/// under the Sandbox feature.
/// </summary>
public sealed class AgentSandbox(ContextScopes scopes, AgentProfiles profiles, AgentEngine engine, LlmGateway llm, Tools.CustomToolRunner customTools,
    TimeProvider clock)
{
    /// <param name="liveTools">Call the tenant's webhook tools for real; otherwise they answer their mock response.</param>
    /// <param name="at">When the customer wrote (a replayed past turn); now by default, so hours and the prompt's time match it.</param>
    /// <param name="feature">What the token usage is counted under (the replay evaluation runs here too).</param>
    public async Task<TurnResult> RunAsync(Guid tenantId, IReadOnlyList<TurnMessage> history, string customerText, ChannelKind channel,
        bool liveTools, CancellationToken ct, DateTimeOffset? at = null, LlmFeature feature = LlmFeature.Sandbox)
    {
        AgentProfile draft;
        string businessName, culture;
        IReadOnlyList<string> disabled;
        IReadOnlyList<AgentFileSummary> files;
        IReadOnlyList<Microsoft.Extensions.AI.AIFunction> tools;
        await using (var work = scopes.ForTenant(tenantId))
        {
            draft = await profiles.GetDraftAsync(work.Db, tenantId, ct);
            tools = await AgentRunner.CustomToolsAsync(work.Db, customTools, forceMock: !liveTools, Tools.ToolCallContext.Sandbox, ct);
            var tenant = await work.Db.Tenants.AsNoTracking().SingleAsync(t => t.Id == tenantId, ct);
            businessName = tenant.Name;
            culture = tenant.DefaultCulture;
            disabled = tenant.DisabledBuiltInTools;
            files = await AgentProfiles.FilesAsync(work.Db, ct);
        }
        var now = at ?? clock.GetUtcNow();
        var conversation = history.Append(new TurnMessage(MessageSender.Contact, customerText, now)).ToList();
        var lastReply = conversation.FindLastIndex(m => m.Sender != MessageSender.Contact);
        var input = new TurnInput(tenantId, null, businessName, culture, draft,
            new LeadSnapshot("Sandbox", null, null, null, "New", 50, "Warm", new Dictionary<string, string>(), null),
            channel, conversation, conversation.Skip(lastReply + 1).Select(m => m.Text).ToList(),
            conversation.Count(m => m.Sender == MessageSender.Contact), 0, feature, now) { DisabledBuiltIns = disabled, Files = files };
        var result = await engine.RunAsync(input, new SandboxTurnEffects(scopes, tenantId, draft, clock), tools, ct);
        if (result.Model is { } model) await llm.RecordUsageAsync(tenantId, null, model, feature, result.Usage, ct);
        return result;
    }
}
