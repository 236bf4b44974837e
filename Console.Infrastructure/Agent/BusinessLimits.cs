namespace OperatorConsole.Infrastructure.Agent;

/// <summary>Key Appointments:MaxOpenPerContact — upcoming booked appointments one customer may hold at once.</summary>
public sealed class AppointmentLimitOptions
{
    public int MaxOpenPerContact { get; set; } = 2;
}
