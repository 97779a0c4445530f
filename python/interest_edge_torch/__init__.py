"""interest_edge_torch: a PyTorch reference trainer for interest-edge's DIN (DDP under torchrun).

Reads the repo's data layouts (MovieLens CSVs, the Personalize layout), rebuilds the `next`
protocol, the user split and the vocabulary exactly as model-export/ does, trains DIN with
DistributedDataParallel and exports ONNX in the worker's serving signature (contract/manifest.ts).
"""

__version__ = "0.1.0"
