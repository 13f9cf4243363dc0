"""Other shapes of a knowledge file: an ONNX model for onnxruntime, and a Hugging Face model card."""
