namespace NetDsl.Instrumentation;

/// <summary>
/// Implemented by every generated module: lets a <see cref="Probe"/> attach to it and to all its
/// sub-modules. Detached (the default), each tap point costs one null check.
/// </summary>
public interface IInstrumented
{
    /// <summary>Attaches <paramref name="probe"/> (or detaches, with null) to this module and its children.</summary>
    /// <param name="probe">The probe that receives tap values, or null to detach.</param>
    /// <param name="prefix">The module's path, ending with '.', as in state_dict keys (<c>layer2.0.</c>); empty for the root.</param>
    void AttachProbe(Probe? probe, string prefix);
}
