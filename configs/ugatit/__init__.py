"""U-GAT-IT presets: the paper's model (default, light), a CPU demo and its ablations."""
