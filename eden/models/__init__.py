"""Models: LeNet-5 (the embedded default), a CIFAR-style ResNet-20, and any torchvision classifier by name.

Each is built by Hydra's ``instantiate`` from ``conf/model/<name>.yaml``.
"""
