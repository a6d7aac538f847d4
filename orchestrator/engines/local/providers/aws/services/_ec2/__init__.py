"""EC2's types and functions, split by area; `services/ec2.py` lists them."""
