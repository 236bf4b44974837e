using Quartz;

namespace OperatorConsole.Tests.Support;

public static class QuartzProbe
{
    /// <summary>The trigger is gone from the shared store and no node holds a firing of it: nothing can fire it again.</summary>
    public static async Task WaitUntilDoneWithAsync(string ownerConnectionString, TriggerKey key, TimeSpan timeout)
    {
        await using var conn = new Npgsql.NpgsqlConnection(ownerConnectionString);
        await conn.OpenAsync();
        await Eventually.TrueAsync(async () =>
        {
            await using var cmd = new Npgsql.NpgsqlCommand("""
                SELECT (SELECT count(*) FROM quartz.qrtz_triggers WHERE trigger_name = @n AND trigger_group = @g)
                     + (SELECT count(*) FROM quartz.qrtz_fired_triggers WHERE trigger_name = @n AND trigger_group = @g)
                """, conn);
            cmd.Parameters.AddWithValue("n", key.Name);
            cmd.Parameters.AddWithValue("g", key.Group);
            return (long)(await cmd.ExecuteScalarAsync())! == 0;
        }, "Quartz to finish with " + key, timeout);
    }
}
